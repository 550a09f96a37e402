#!/usr/bin/env bash
# qtop's own memory over a long run: the release TUI (its own process, in tmux) against a
# separate simulator of 240 queues at 360x speed, a fault switched on every 15 s. Prints the
# RSS/peak RSS of each process and qtop's top line every 15 s.
#
#   cargo build --release && scripts/memsoak.sh [seconds, default 600] [port, default 18200]
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-600}
port=${2:-18200}
q="$PWD/target/release/qtop"
org=$(mktemp --suffix=.toml)
sed -e 's/queues = 1000/queues = 240/' -e 's/agents = 10000/agents = 2400/' sim/orgs/large.toml >"$org"
session="qtop-memsoak-$port"
tmux kill-session -t "$session" 2>/dev/null || true
tmux new -d -s "$session" -x 120 -y 40 "$q sim --org $org --port $port --faults --speed 360 --start 00:00"
sleep 4
tmux new-window -t "$session" "GENESYSCLOUD_OAUTHCLIENT_SECRET=large-secret-wallboard $q --base-url http://127.0.0.1:$port \
  --client-id 5a1f0c3e-0b7d-4e0a-9d55-2c1e6a000001 --refresh 1s --totals-refresh 10s --log-file /tmp/qtop-memsoak.log; sleep 5"
sleep 10
qtop_pid=$(pgrep -f "^$q --base-url http://127.0.0.1:$port" | head -1)
sim_pid=$(pgrep -f "^$q sim --org $org" | head -1)
rss() { awk '/VmRSS/{r=$2} /VmHWM/{h=$2} END{printf "%.1f/%.1f", r/1024, h/1024}' "/proc/$1/status"; }
faults=(
  "errors on status=503 for=6s"
  "latency on ms=2000 for=6s"
  "unavailable on retry_after=3 for=6s"
  "reset on for=5s"
  "truncate on for=5s"
  "revoke"
  "role-removed on client=wallboard role=Queue\ Wallboard for=6s"
  "permission-removed on for=6s"
  "queue-moved on for=6s"
  "clock-skew on seconds=-3600 for=6s"
)
start=$(date +%s)
i=0
while [ $(($(date +%s) - start)) -lt "$secs" ]; do
  eval "$q sim-fault --port $port ${faults[$((i % ${#faults[@]}))]}" >/dev/null
  i=$((i + 1))
  sleep 15
  line=$(tmux capture-pane -p -t "$session:1" | head -1 | cut -c1-100)
  echo "t=$(($(date +%s) - start))s  qtop RSS/peak MB $(rss "$qtop_pid")  sim $(rss "$sim_pid")  |$line"
done
tmux kill-session -t "$session"
rm -f "$org"
