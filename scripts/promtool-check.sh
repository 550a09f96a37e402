#!/usr/bin/env bash
# `promtool check metrics` against what `qtop export --demo` serves on /metrics, once the
# demo's numbers are in: any warning or error fails. CI runs it when promtool is installed
# (Debian: `apt-get install prometheus`) and says it skipped it otherwise.
#
#   scripts/promtool-check.sh            # uses target/debug/qtop (builds it if missing)
#   QTOP=target/release/qtop scripts/promtool-check.sh
set -euo pipefail

cd "$(dirname "$0")/.."
QTOP=${QTOP:-target/debug/qtop}
command -v promtool >/dev/null || { echo "promtool not found: apt-get install -y prometheus" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl not found" >&2; exit 2; }
[ -x "$QTOP" ] || cargo build --quiet -p qtop

TMP=$(mktemp -d)
# Port 0: any free port; the exporter says which on its first line.
"$QTOP" export --demo --listen 127.0.0.1:0 --log-file "$TMP/qtop.log" 2>"$TMP/export.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$TMP"' EXIT
URL=""
for _ in $(seq 1 60); do
  URL=$(grep -o 'http://[0-9.:]*/metrics' "$TMP/export.err" | head -1 || true)
  [ -n "$URL" ] && break
  sleep 0.5
done
[ -n "$URL" ] || { echo "qtop export did not start:"; cat "$TMP/export.err"; exit 1; }

# Wait for live numbers and today's totals, so every family has samples.
for _ in $(seq 1 60); do
  if curl -sf "$URL" >"$TMP/metrics" 2>/dev/null \
    && grep -q '^qtop_queue_waiting{' "$TMP/metrics" && grep -q '^qtop_queue_offered_today{' "$TMP/metrics"; then
    break
  fi
  sleep 0.5
done
grep -q '^qtop_queue_waiting{' "$TMP/metrics" || { echo "no numbers on /metrics after 30 s:"; cat "$TMP/export.err"; exit 1; }

# curl asks for no format: the Prometheus text format, which promtool reads.
echo "$(grep -c '^qtop_' "$TMP/metrics") samples in $(grep -c '^# TYPE' "$TMP/metrics") families"
if out=$(promtool check metrics <"$TMP/metrics" 2>&1) && [ -z "$out" ]; then
  echo "promtool check metrics: no problems"
else
  echo "promtool check metrics:"
  echo "$out"
  exit 1
fi
