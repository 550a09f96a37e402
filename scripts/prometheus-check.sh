#!/usr/bin/env bash
# Real Prometheus against `qtop export --demo`: start both on free ports in a temp dir, wait
# for a scrape, print a few queries' answers, stop both. Not part of CI (it needs the
# `prometheus` binary: `apt-get install -y prometheus`).
#
#   scripts/prometheus-check.sh            # uses target/debug/qtop (builds it if missing)
#   QTOP=target/release/qtop scripts/prometheus-check.sh
set -euo pipefail

cd "$(dirname "$0")/.."
QTOP=${QTOP:-target/debug/qtop}
command -v prometheus >/dev/null || { echo "prometheus not found: apt-get install -y prometheus" >&2; exit 2; }
[ -x "$QTOP" ] || cargo build --quiet
command -v curl >/dev/null || { echo "curl not found" >&2; exit 2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
EXPORT_PORT=$(free_port)
PROM_PORT=$(free_port)
TMP=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

"$QTOP" export --demo --listen "127.0.0.1:$EXPORT_PORT" --log-file "$TMP/qtop.log" 2>"$TMP/export.err" &
pids+=($!)

# deploy/prometheus.yml with the exporter's port and a fast scrape, rules beside it.
sed -e "s/127.0.0.1:9464/127.0.0.1:$EXPORT_PORT/" -e "s/scrape_interval: 15s/scrape_interval: 2s/" \
  -e "s/evaluation_interval: 15s/evaluation_interval: 2s/" deploy/prometheus.yml >"$TMP/prometheus.yml"
cp deploy/alerts.yml "$TMP/alerts.yml"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
pids+=($!)

echo "qtop export on :$EXPORT_PORT, prometheus on :$PROM_PORT (temp dir $TMP)"
for _ in $(seq 1 60); do
  up=$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query?query=up%7Bjob%3D%22qtop%22%7D" || true)
  waiting=$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query?query=count(qtop_queue_waiting)" || true)
  if [[ "$up" == *'"value":['*'"1"]'* && "$waiting" == *'"value":['* ]]; then break; fi
  sleep 1
done

query() {
  echo "== $1"
  curl -s -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
  echo
}
query 'up{job="qtop"}'
query 'qtop_queue_waiting'
query 'sum(qtop_queue_offered_today)'
query 'qtop_rate_budget_used'
query 'qtop_source'
query 'qtop_ready'
echo "== target health"
curl -s "http://127.0.0.1:$PROM_PORT/api/v1/targets" | python3 -c 'import json,sys; [print(t["scrapeUrl"], t["health"], t["lastError"] or "no error") for t in json.load(sys.stdin)["data"]["activeTargets"]]'
echo "== rules"
curl -s "http://127.0.0.1:$PROM_PORT/api/v1/rules" | python3 -c 'import json,sys; [print(r["name"], r["health"], r.get("state","")) for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]'
