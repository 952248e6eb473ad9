#!/usr/bin/env bash
# Soak: the shipped workflow for SOAK_SECONDS at SOAK_LOAD of its measured capacity.
#   1. capacity: `sluice up` fed far faster than it can go for BURST_SECONDS; the
#      output rate over the second half of the burst is the capacity;
#   2. soak: a fresh broker, `sluice up` at SOAK_LOAD x capacity for SOAK_SECONDS;
#      VmRSS of sluice up, each worker and the broker every SAMPLE_SECONDS;
#   3. drain: feed stopped, `sluice up --rate 0` until the output stops growing;
#   4. ids in (posts) vs ids out (scored): lost and duplicated.
# Prints a markdown table (also in $out/soak.md). Needs `make build` first.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SLUICE_BIN:-$root/.build/release/sluice}
workflow=${SOAK_WORKFLOW:-topics/sentiment-monitoring.yaml}
soak_seconds=${SOAK_SECONDS:-600}
burst_seconds=${BURST_SECONDS:-60}
sample_seconds=${SAMPLE_SECONDS:-10}
load=${SOAK_LOAD:-0.6}
warmup=${WARMUP_SECONDS:-60}
out=${SOAK_DIR:-$(mktemp -d -t sluice-soak-XXXXXX)}
mkdir -p "$out"
cd "$root"
[ -x "$bin" ] || { echo "soak: $bin is not built: run 'make build' first" >&2; exit 1; }

say() { printf 'soak: %s\n' "$*" >&2; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -v '^$' || true; }
# A child's name for the table: the worker's stage, or tansu.
label() {
  local args; args=$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null || true)
  case "$args" in
    *" worker "*) sed -E 's/.*--stage ([^ ]+).*/\1/' <<<"$args" ;;
    *tansu*) echo tansu ;;
    *) echo "?" ;;
  esac
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_broker() {  # sets broker_pid and brokers; the Tansu child dies with it
  "$bin" broker >"$out/broker-$1.log" 2>&1 &
  broker_pid=$!; pids+=("$broker_pid")
  for _ in $(seq 1 150); do
    grep -q 'ready at' "$out/broker-$1.log" 2>/dev/null && break
    sleep 0.2
  done
  brokers=$(sed -nE 's/.*ready at ([0-9.:]+).*/\1/p' "$out/broker-$1.log")
  [ -n "$brokers" ] || { echo "soak: the broker did not start; see $out/broker-$1.log" >&2; exit 1; }
}

up() {  # name rate seconds: sluice up in the background on $brokers; sets up_pid
  "$bin" up --workflow "$workflow" --brokers "$brokers" --rate "$2" --duration "$3" \
    --gateway-port 0 --metrics-port 0 >"$out/up-$1.log" 2>&1 &
  up_pid=$!; pids+=("$up_pid")
}

# The status line `sluice up` prints every 5 s without a terminal: "[  40s] in N (r/s)  out M (r/s) ...".
# Output per second between the first line at or after $2 s and the last line.
out_rate() {
  awk -v from="$2" '/^\[ *[0-9]+s\]/ { t = $0; sub(/^\[ */, "", t); t += 0
      if (match($0, /out [0-9]+/)) { n = substr($0, RSTART + 4, RLENGTH - 4) + 0 } else next
      if (t >= from && !t1) { t1 = t; n1 = n }; t2 = t; n2 = n }
    END { if (t2 > t1 && n2 > n1) printf "%.1f", (n2 - n1) / (t2 - t1) }' "$out/up-$1.log"
}

# 1. Capacity.
start_broker burst
say "capacity burst: ${burst_seconds} s at 1000 events/s on $brokers"
up burst 1000 "$burst_seconds"
wait "$up_pid" || true
capacity=$(out_rate burst $(( burst_seconds / 2 )))
[ -n "$capacity" ] || { echo "soak: no output during the burst; see $out/up-burst.log" >&2; exit 1; }
rate=$(awk -v c="$capacity" -v l="$load" 'BEGIN { printf "%.1f", c * l }')
kill -TERM "$broker_pid"; wait "$broker_pid" 2>/dev/null || true
say "capacity ${capacity} events/s (scored over the second half of the burst); soak rate ${rate} events/s"

# 2. Soak on a fresh broker.
start_broker soak
tansu=$(children "$broker_pid" | head -n1)
up soak "$rate" "$soak_seconds"
upid=$up_pid
sleep 5
samples="$out/samples.tsv"; : >"$samples"
started=$(date +%s)
while kill -0 "$upid" 2>/dev/null; do
  t=$(( $(date +%s) - started ))
  row="$t up=$(rss_mb "$upid") tansu=$(rss_mb "$tansu")"
  for c in $(children "$upid"); do row+=" $(label "$c")=$(rss_mb "$c")"; done
  echo "$row" >>"$samples"
  sleep "$sample_seconds"
done
wait "$upid" || true
fed=$(grep -oE 'in [0-9]+' "$out/up-soak.log" | tail -n1 | awk '{print $2}')

# 3. Drain what was in flight at the stop: workers only, until the output stops growing.
say "draining"
up drain 0 300
dpid=$up_pid
sleep 20
count() { "$bin" consume --brokers "$brokers" --topic "$1" --from-beginning --timeout-ms 5000 \
  | grep -oE '"id" *: *"demo-[0-9]+"' | sed -E 's/.*"([^"]*)"$/\1/'; }
last=-1
for _ in $(seq 1 20); do
  n=$(count scored | wc -l)
  [ "$n" -eq "$last" ] && break
  last=$n; sleep 10
done
count posts | sort >"$out/in.txt"
count scored | sort >"$out/out-all.txt"
kill -TERM "$dpid"; wait "$dpid" 2>/dev/null || true
sort -u "$out/out-all.txt" >"$out/out.txt"
lost=$(comm -23 "$out/in.txt" "$out/out.txt" | wc -l)
dups=$(( $(wc -l <"$out/out-all.txt") - $(wc -l <"$out/out.txt") ))

# 4. The table: one column per process, growth from the first sample after warm-up to the last.
awk -v warmup="$warmup" -v capacity="$capacity" -v rate="$rate" -v seconds="$soak_seconds" \
    -v fed="${fed:-?}" -v ins="$(wc -l <"$out/in.txt")" -v outs="$(wc -l <"$out/out.txt")" -v lost="$lost" -v dups="$dups" '
  { t[NR] = $1; for (i = 2; i <= NF; i++) { split($i, kv, "="); k = kv[1]; seen[k]++; name = k "#" seen[k]
      # a stage with several workers gets one column per worker
      gsub(/#1$/, "", name); v[NR, name] = kv[2]; if (!(name in col)) { col[name] = ++ncol; names[ncol] = name } }
    delete seen }
  END {
    printf "capacity %s events/s; soak at %s events/s for %s s; %s events fed\n\n", capacity, rate, seconds, fed
    printf "| t (s) |"; for (c = 1; c <= ncol; c++) printf " %s MB |", names[c]; printf "\n|---|"
    for (c = 1; c <= ncol; c++) printf "---|"; printf "\n"
    for (r = 1; r <= NR; r++) { printf "| %s |", t[r]; for (c = 1; c <= ncol; c++) printf " %s |", v[r, names[c]]; printf "\n"
      if (!base && t[r] >= warmup) base = r }
    printf "| growth after %s s |", warmup
    # to the last sample that has the process (the workers stop before `sluice up` does)
    for (c = 1; c <= ncol; c++) { a = v[base, names[c]]; b = ""
      for (r = NR; r > base && b == ""; r--) b = v[r, names[c]]
      if (a + 0 > 0 && b != "") printf " %+.0f%% |", 100 * (b - a) / a; else printf " - |" }
    printf "\n\nids in %d, ids out %d, lost %d, duplicated %d\n", ins, outs, lost, dups
  }' "$samples" | tee "$out/soak.md"
say "logs and samples in $out"
