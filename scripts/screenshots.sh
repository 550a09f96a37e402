#!/usr/bin/env bash
# Capture qtop's screens in tmux against the seeded simulator and write them to
# screenshots/ as text (.txt), ANSI (.ans) and SVG (.svg).
#
#   scripts/screenshots.sh            # all screens
#   scripts/screenshots.sh wall-160x48 help-120x40   # some of them
#
# Reproducible: the simulator is seeded and pinned to 10:30 (nearly still: --speed 0.01),
# the port is fixed, and when `faketime` is installed qtop's own clock starts at
# 2026-11-25 10:30:00 in the org's time zone too. Without faketime the clock and the
# "age" words differ from run to run; the numbers do not.
#
# Add a screen: one `shot` line below (name, size, keys to type, persona, flags).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${QTOP:-target/release/qtop}
OUT=${OUT:-screenshots}
PORT=${PORT:-18089}
SOCKET=qtop-shots-$$
ORG_TZ=Europe/London
FAKE_START="2026-11-25 10:30:00"

if [[ ! -x $BIN ]]; then
    cargo build --release
fi
command -v tmux >/dev/null || { echo "screenshots: tmux is needed" >&2; exit 1; }
mkdir -p "$OUT"

FAKE=()
if command -v faketime >/dev/null; then
    # Only the wall clock is pinned; timers (monotonic) run normally.
    FAKE=(env TZ="$ORG_TZ" FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$FAKE_START")
else
    echo "screenshots: faketime not found (apt install faketime); clocks will show the real time" >&2
fi

# No status line (it would take a row from the screen), and keep the pane of a command
# that exits (doctor) so it can be captured.
TMUX_CONF=$(mktemp)
printf 'set -g status off\nset -g remain-on-exit on\n' >"$TMUX_CONF"

"$BIN" sim --port "$PORT" --start 10:30 --speed 0.01 >"$OUT/.sim.log" 2>&1 &
SIM_PID=$!
cleanup() {
    tmux -L "$SOCKET" kill-server 2>/dev/null || true
    kill "$SIM_PID" 2>/dev/null || true
    rm -f "$OUT/.sim.log" "$TMUX_CONF"
}
trap cleanup EXIT
for _ in $(seq 50); do
    grep -q "serving" "$OUT/.sim.log" 2>/dev/null && break
    sleep 0.1
done

declare -A CLIENT_ID=(
    [wallboard]=7de3af06-c0b3-4f9f-b2ce-1f3f3c1d0a01
    [no-observations]=7de3af06-c0b3-4f9f-b2ce-1f3f3c1d0a02
)
declare -A SECRET=(
    [wallboard]=demo-secret-wallboard
    [no-observations]=demo-secret-reporting
)

WANT=("$@")
wanted() {
    [[ ${#WANT[@]} -eq 0 ]] && return 0
    local w
    for w in "${WANT[@]}"; do [[ $w == "$1" ]] && return 0; done
    return 1
}

# shot NAME COLSxROWS KEYS PERSONA [qtop flags...]
# KEYS: tmux key names separated by spaces ("" for none), typed 0.4 s apart.
shot() {
    local name=$1 size=$2 keys=$3 persona=$4
    shift 4
    wanted "$name" || return 0
    local cols=${size%x*} rows=${size#*x}
    local cfg
    cfg=$(mktemp)
    # An empty config: nothing from the user's own file leaks into the pictures.
    local cmd
    if [[ $persona == demo:* ]]; then
        # A demo persona (users sign in through the sim's login page; doctor runs too).
        cmd=(env QTOP_CONFIG="$cfg" LANG=C.UTF-8 "${FAKE[@]}" "$BIN" --demo --as "${persona#demo:}" "$@")
    else
        cmd=(env QTOP_CONFIG="$cfg" GENESYSCLOUD_OAUTHCLIENT_SECRET="${SECRET[$persona]}" LANG=C.UTF-8
            "${FAKE[@]}" "$BIN" --base-url "http://127.0.0.1:$PORT" --client-id "${CLIENT_ID[$persona]}" "$@")
    fi
    tmux -L "$SOCKET" -f "$TMUX_CONF" new-session -d -s shot -x "$cols" -y "$rows" "$(printf '%q ' "${cmd[@]}")"
    # Wait for the first live numbers (or the first error), then a beat for the header.
    for _ in $(seq 60); do
        tmux -L "$SOCKET" capture-pane -p -t shot | grep -qE "Live|Error|Auth failed|checks? (passed|refused)" && break
        sleep 0.1
    done
    sleep 1.2
    local k
    for k in $keys; do
        tmux -L "$SOCKET" send-keys -t shot "$k"
        sleep 0.4
    done
    sleep 1
    tmux -L "$SOCKET" capture-pane -p -t shot >"$OUT/$name.txt"
    tmux -L "$SOCKET" capture-pane -p -e -t shot >"$OUT/$name.ans"
    python3 scripts/ansi2svg.py "$OUT/$name.ans" --cols "$cols" --rows "$rows" \
        --title "qtop ${*:-} ($size)" >"$OUT/$name.svg"
    tmux -L "$SOCKET" kill-session -t shot
    rm -f "$cfg"
    echo "screenshots: $OUT/$name.{txt,ans,svg}"
}

shot main-120x40 120x40 "" wallboard
shot main-80x24 80x24 "" wallboard
shot sorted-160x48 160x48 "s" wallboard
shot help-120x40 120x40 "?" wallboard
shot help-80x24 80x24 "?" wallboard
shot filter-120x40 120x40 "/ c a r e" wallboard
shot detail-120x40 120x40 "s g Enter" wallboard
shot frozen-120x40 120x40 "f" wallboard
shot errors-403-120x40 120x40 "" no-observations
shot wall-160x48 160x48 "" wallboard --wall
shot wall-120x40 120x40 "" wallboard --wall
shot wall-80x24 80x24 "" wallboard --wall
shot ascii-80x24 80x24 "" wallboard --ascii --no-color
# The token pane shows by default from 36 rows (main-120x40 has the wallboard's); a user's:
shot token-supervisor-120x48 120x48 "" demo:supervisor
shot errors-scope-120x40 120x40 "Tab Enter" demo:narrow-scopes
shot doctor-no-observations-120x24 120x24 "" demo:no-observations doctor
shot doctor-wrong-region-120x24 120x24 "" demo:wrong-region doctor
shot doctor-home-division-120x24 120x24 "" demo:home-division doctor
# once they are merged, e.g.  shot token-120x40 120x40 "t" wallboard
if "$BIN" doctor --help >/dev/null 2>&1; then
    shot doctor-120x40 120x40 "" wallboard doctor
fi
