#!/usr/bin/env bash
# What qtop costs next to the TUIs people already keep open, measured side by side in one run:
# qtop against a simulated org of 200 and of 1 000 queues, htop and bottom (btm), each under
# the project's terminal meter (`cargo run -p xtask -- tty`: a pty of a fixed size) at 120x40
# and 200x60. Prints one table.
#
#   scripts/bench-tty.sh                      # 30 s per row
#   scripts/bench-tty.sh --seconds 10         # shorter
#   scripts/bench-tty.sh --qtop-only -- --refresh 2s   # after --: extra qtop arguments
#   scripts/bench-tty.sh -- --source stream   # every qtop row with that flag
#
# The simulator runs as its own process (`qtop sim`), so the RSS and CPU measured are qtop's
# alone. htop is installed with apt-get and bottom with `cargo install bottom --locked` when
# missing (as root); a tool that cannot be had is left out of the table with a note.
# Environment: BENCH_ORGS (default "medium large"),
# BENCH_SIZES (default "120x40 200x60").
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

seconds=30
qtop_only=false
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --qtop-only) qtop_only=true; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-tty.sh: unknown argument '$1' (qtop arguments go after --)" >&2; exit 2 ;;
    esac
done

orgs=${BENCH_ORGS:-medium large}
sizes=${BENCH_SIZES:-120x40 200x60}

echo "== building qtop (release)" >&2
cargo build --release --locked --bin qtop >&2
cargo build --release --locked -p xtask >&2
qtop=$repo/target/release/qtop
meter_bin=$repo/target/release/xtask

notes=()
if ! $qtop_only; then
    if ! command -v htop >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== installing htop" >&2
        apt-get install -y htop >&2 || true
    fi
    if ! command -v btm >/dev/null; then
        # Debian has no bottom package; its crate builds in a few minutes.
        echo "== installing bottom (cargo install bottom --locked)" >&2
        cargo install bottom --locked >&2 || true
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    command -v htop >/dev/null || notes+=("htop: not installed, left out")
    command -v btm >/dev/null || notes+=("bottom: not installed, left out")
fi

work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
results=$work/results.jsonl

# A fresh home: the developer's own config, token cache and logs must not shape the numbers.
export XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache XDG_DATA_HOME=$work/data XDG_STATE_HOME=$work/state
unset QTOP_CONFIG QTOP_BASE_URL GENESYSCLOUD_REGION GENESYSCLOUD_OAUTHCLIENT_ID GENESYSCLOUD_OAUTHCLIENT_SECRET

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The value of `key = "…"` in the wallboard client's block of an org file.
wallboard() {
    awk -v key="$2" '
        /^\[\[clients\]\]/ { block = "" }
        { block = block "\n" $0 }
        /^persona = "wallboard"/ { print block }
    ' "$1" | sed -n "s/^$2 = \"\(.*\)\"/\1/p"
}

meter() { # tag cols rows cmd...
    local tag=$1 cols=$2 rows=$3
    shift 3
    echo "== $tag ${cols}x${rows} (${seconds}s)" >&2
    "$meter_bin" tty --cols "$cols" --rows "$rows" --seconds "$seconds" --warmup 3 \
        --quit-key q --tag "$tag" -- "$@" >>"$results" || notes+=("$tag ${cols}x${rows}: the meter failed")
}

for org in $orgs; do
    file=crates/sim/orgs/$org.toml
    queues=$(sed -n 's/^queues = \([0-9]*\)/\1/p' "$file")
    port=$(free_port)
    $qtop sim --org "$file" --port "$port" >"$work/sim-$org.log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    client_id=$(wallboard "$file" id)
    export GENESYSCLOUD_OAUTHCLIENT_SECRET
    GENESYSCLOUD_OAUTHCLIENT_SECRET=$(wallboard "$file" secret)
    for size in $sizes; do
        meter "qtop $queues queues${extra[*]:+ ${extra[*]}}" "${size%x*}" "${size#*x}" \
            "$qtop" --base-url "http://127.0.0.1:$port" --client-id "$client_id" "${extra[@]}"
    done
    unset GENESYSCLOUD_OAUTHCLIENT_SECRET
    kill "$sim_pid" && wait "$sim_pid" 2>/dev/null || true
    sim_pid=
done

if ! $qtop_only; then
    for size in $sizes; do
        # htop's delay is in tenths of a second: one refresh a second, like qtop's default.
        command -v htop >/dev/null && meter "htop -d 10" "${size%x*}" "${size#*x}" htop -d 10
        # bottom's default rate is 1 s.
        command -v btm >/dev/null && meter "btm" "${size%x*}" "${size#*x}" btm
    done
fi

python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"| program | size | bytes/s | CPU % of a core | peak RSS | first frame |")
print(f"|---|---|---|---|---|---|")
for r in rows:
    first = r["startup_first_frame_ms"]
    frame = next((v for k, v in first.items() if k.startswith("first_idle")), None)
    frame = "–" if frame is None else f"{frame:.0f} ms"
    cpu = "–" if r["cpu_pct"] is None else f"{r['cpu_pct']:.2f} %"
    print(f"| {r['tag']} | {r['cols']}x{r['rows']} | {r['bytes_per_s']:.0f} | {cpu} | "
          f"{r['peak_rss_kb'] / 1024:.1f} MB | {frame} |")
EOF
for n in "${notes[@]}"; do echo "note: $n"; done
