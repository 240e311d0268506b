#!/usr/bin/env bash
# Instructions per request of the whole Envoy process (V8, the wasm module, Envoy itself), counted by
# valgrind's callgrind: deterministic where `make bench`'s CPU time is not (a shared or loaded machine).
# For each variant and shape: Envoy 1.40 (`--concurrency 1`) with the variant's config as `make bench` writes
# it (bench-e2e BENCH_CONFIG), 20 warm-up requests, then instrumentation on for N requests (one connection,
# sequential), off, dump. Prints Ir per request: all, in the wasm module's JIT code, in the Envoy binary
# (Envoy and V8's runtime and builtins), in libc.
# Usage: bench/envoy-instr/run.sh [N] ["shape:variant ..."]   (make bench-instr; ~1.5 min per pair)
# Needs: make wasm, the empty filter (make bench builds it), bench-e2e, valgrind.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-50}
PAIRS=${2:-"dense1k:none dense1k:empty dense1k:pii-off dense1k:pii-allow dense1k:pii-redact clean16k:none clean16k:pii-redact"}
E2E=target/release/bench-e2e
ENVOY_BIN=$(find -L .venv/ -path "*envoy/_bin/envoy" -type f 2>/dev/null | head -1)
[ -x "$ENVOY_BIN" ] || { echo "Envoy not found under .venv: make envoy" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }
OUT=target/envoy-instr; rm -rf "$OUT"; mkdir -p "$OUT"
UP_LOG=$OUT/upstream.out
BENCH_UPSTREAM=1 "$E2E" > "$UP_LOG" 2>&1 &
UP_PID=$!
trap 'kill $UP_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$UP_LOG" ] && break; sleep 0.2; done
UP_PORT=$(head -1 "$UP_LOG")
printf "%-9s %-11s %12s %10s %10s %10s\n" shape variant "Ir/request" wasm envoy libc
for pair in $PAIRS; do
  shape=${pair%%:*}; variant=${pair#*:}
  read -r cfg port admin < <(BENCH_CONFIG=$variant BENCH_UPSTREAM_PORT=$UP_PORT "$E2E")
  cg=$OUT/$shape-$variant.cg
  valgrind --tool=callgrind --instr-atstart=no --smc-check=all-non-file --callgrind-out-file="$cg" \
    "$ENVOY_BIN" -c "$cfg" --concurrency 1 --use-dynamic-base-id --log-level error > "$OUT/$shape-$variant.log" 2>&1 &
  VG=$!
  for _ in $(seq 1 900); do
    curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$admin/ready" 2>/dev/null | grep -q 200 && break
    kill -0 $VG 2>/dev/null || { echo "Envoy exited: $OUT/$shape-$variant.log" >&2; exit 1; }
    sleep 1
  done
  BENCH_SEND=$shape:$port:20 "$E2E" > /dev/null
  callgrind_control -i on $VG > /dev/null 2>&1
  BENCH_SEND=$shape:$port:$N "$E2E" > /dev/null
  callgrind_control -i off $VG > /dev/null 2>&1
  callgrind_control -d $VG > /dev/null 2>&1
  kill $VG; wait $VG 2>/dev/null || true
  # every dump of the run (callgrind writes one file per dump and one at exit), self cost by object: JIT code
  # (no object; V8's wasm code space sits above 4 GiB), the Envoy binary (with V8's builtins), libc
  for f in "$cg"*; do callgrind_annotate --threshold=100 "$f" 2>/dev/null; done | python3 -c '
import sys, re
n = int(sys.argv[1]); t = {"all": 0, "wasm": 0, "envoy": 0, "libc": 0}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
    if not m or "PROGRAM TOTALS" in line:
        continue
    ir = int(m.group(1).replace(",", "")); rest = m.group(2)
    o = re.search(r"\[([^\]]*)\]\s*$", rest); o = o.group(1) if o else "?"
    a = re.search(r"0x([0-9a-f]+)", rest.split(" [")[0])
    t["all"] += ir
    if o == "???" and a and int(a.group(1), 16) >= 1 << 32:
        t["wasm"] += ir
    elif o.endswith("/envoy") or o == "???":
        t["envoy"] += ir
    elif "libc" in o:
        t["libc"] += ir
print("%d %d %d %d" % (t["all"] // n, t["wasm"] // n, t["envoy"] // n, t["libc"] // n))
' "$N" | { read -r all w e l; printf "%-9s %-11s %12s %10s %10s %10s\n" "$shape" "$variant" "$all" "$w" "$e" "$l"; }
done
