#!/usr/bin/env bash
# `make test` runs this: schemathesis's default checks, for a bounded time, against a
# live gateway in front of a one-stage passthrough workflow (scripts/schemathesis/),
# on the embedded Tansu broker, all on 127.0.0.1. Fails on any failure it reports.
#   SCHEMATHESIS_SECONDS  the time budget of the run (default 60)
#   SLUICE_BIN            the sluice binary (default .build/release/sluice)
#   SCHEMATHESIS          the schemathesis to run (default the one setup.sh installs)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SLUICE_BIN:-$root/.build/release/sluice}
st=${SCHEMATHESIS:-$root/.deps/schemathesis/bin/schemathesis}
seconds=${SCHEMATHESIS_SECONDS:-60}
workflow="$root/scripts/schemathesis/relay.yaml"

die() { printf 'schemathesis.sh: error: %s\n' "$*" >&2; exit 1; }
[ -x "$st" ] || die "$st is missing: run scripts/setup.sh (make setup) first"
[ -x "$bin" ] || die "$bin is missing: run 'swift build -c release --product sluice' (make build) first"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The first line matching $2 in file $1 within 30 s, else fail with the file.
wait_for_line() {
  local line
  for _ in $(seq 1 300); do
    line=$(grep -m1 -E "$2" "$1" 2>/dev/null || true)
    if [ -n "$line" ]; then printf '%s\n' "$line"; return 0; fi
    sleep 0.1
  done
  cat "$1" >&2
  die "no line matching '$2' in $1 within 30 s"
}

"$bin" broker >"$work/broker.log" 2>&1 &
pids+=($!)
brokers=$(wait_for_line "$work/broker.log" 'ready at 127\.0\.0\.1:[0-9]+' | grep -oE '127\.0\.0\.1:[0-9]+')
"$bin" topics apply "$workflow" --brokers "$brokers" >/dev/null
"$bin" worker --workflow "$workflow" --stage pass --brokers "$brokers" --no-metrics >"$work/worker.log" 2>&1 &
pids+=($!)
"$bin" gateway --workflow "$workflow" --brokers "$brokers" --port 0 >"$work/gateway.log" 2>&1 &
pids+=($!)
port=$(wait_for_line "$work/gateway.log" 'http://127\.0\.0\.1:[0-9]+/ \(dashboard\)' \
  | grep -oE '127\.0\.0\.1:[0-9]+' | head -n1 | cut -d: -f2)
base="http://127.0.0.1:$port"
# Ready: the worker has its partitions and a predict comes back (at most 30 s).
for _ in $(seq 1 60); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"text": "warm-up"}' "$base/v1/workflows/relay/predict?timeout_ms=1000" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || { cat "$work/worker.log" "$work/gateway.log" >&2; die "the gateway's predict never answered 200"; }

echo "schemathesis: ${seconds} s against $base/openapi.json"
# From the scratch folder: its example database (.schemathesis/) goes away with it.
cd "$work"
"$st" --config-file "$root/scripts/schemathesis/schemathesis.toml" run "$base/openapi.json" \
  --max-time "$seconds" --request-timeout 15 --no-color
