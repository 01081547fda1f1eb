#!/usr/bin/env bash
# Benchmark: the live list API (issue 10) under load through HTTP.
#   bench/list_api.sh CERTDB RECORDS.jsonl        (bench/publish.sh runs it per count)
# Starts `certdb serve-list` on the records (prints load time, index build
# time and size, RSS), then wrk: the mix of 8 queries with 2 threads and 16
# connections (target: p99 < 50 ms at 1,000,000), the same mix with fewer
# connections (BENCH_API_CONNECTIONS, default "16 4"), and each query alone
# (2 connections): req/s, p50/p90/p99 and the server's CPU time per request
# (from /proc, so the cost of a query is told apart from the machine's load).
# Load average on every line: the machine is shared.
set -euo pipefail
certdb=${1:?usage: bench/list_api.sh CERTDB RECORDS.jsonl}
recs=${2:?usage: bench/list_api.sh CERTDB RECORDS.jsonl}
secs=${BENCH_API_SECONDS:-20}
conns=(${BENCH_API_CONNECTIONS:-16 4})
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/certify-listapi-bench.XXXXXX)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

paths=(
  "/api/v1/list"
  "/api/v1/list?os=debian&class=nic"
  "/api/v1/list?os=rhel&os_like=1&arch=aarch64&sort=vendor"
  "/api/v1/list?vendor=contoso&issued_from=2023-01-01&issued_to=2023-12-31"
  "/api/v1/list?q=server%20c15&per_page=100"
  "/api/v1/list?model=w1490&sort=-issued"
  "/api/v1/list?status=withdrawn&page=3"
  "/api/v1/list?os=ubuntu&os_version=24.04&class=nvme&sort=product&page=20"
)
{
  echo "local paths = {"
  for p in "${paths[@]}"; do echo "  \"$p\","; done
  cat <<'LUA'
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
} > "$work/mix.lua"

port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
t0=$(date +%s.%N)
"$certdb" serve-list --records "$recs" --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server_pid=$!
until grep -q serving "$work/serve.log" 2>/dev/null; do
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
  sleep 0.2
done
t1=$(date +%s.%N)
echo "serve-list ready in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s ($(grep -o 'indexes built.*' "$work/serve.log")); RSS $(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$server_pid/status"); load $(load)"

# run_wrk LABEL CONNECTIONS SECONDS wrk-args...: one line of results.
run_wrk() {
  local label=$1 c=$2 d=$3
  shift 3
  local c0 c1 n
  c0=$(cpu_ticks)
  wrk -t2 -c"$c" -d"${d}s" --latency "$@" > "$work/wrk.txt"
  c1=$(cpu_ticks)
  n=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  printf '%s: %s req/s; %s; server CPU %s ms/request; load %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")" \
    "$(awk '/^ +50%/ {printf "p50 %s ", $2} /^ +90%/ {printf "p90 %s ", $2} /^ +99%/ {printf "p99 %s", $2}' "$work/wrk.txt")" \
    "$(python3 -c "print(f'{($c1 - $c0) * 1000 / $tick / max($n, 1):.2f}')")" "$(load)"
  grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true
}

wrk -t2 -c4 -d2s -s "$work/mix.lua" "http://127.0.0.1:$port" > /dev/null  # warm caches
for c in "${conns[@]}"; do
  run_wrk "mix of 8 queries, $c connections, ${secs} s" "$c" "$secs" -s "$work/mix.lua" "http://127.0.0.1:$port"
done
for p in "${paths[@]}"; do
  total=$(curl -sf "http://127.0.0.1:$port$p" | python3 -c "import json,sys; print(json.load(sys.stdin)['total'])")
  run_wrk "  ${p#/api/v1/list} (total $total), 2 connections" 2 5 "http://127.0.0.1:$port$p"
done
echo "server RSS after the runs: $(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$server_pid/status")"
