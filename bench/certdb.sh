#!/usr/bin/env bash
# Benchmark of certdb on both backends (sqlite WAL file; PostgreSQL in a
# throwaway server started here as the postgres user under /tmp):
#  1. ingest + verify of N signed bundles (default 1,000) uploaded by 4
#     parallel clients (curl, like certify submit): bundles/s and wall time;
#  2. GET /api/v1/submissions, GET /api/v1/queue (one default page of 100)
#     and GET /api/v1/queue?limit=1000 (the whole queue in one page) under 50
#     concurrent clients with wrk: requests/s, p50 and p99 latency, and the
#     server's CPU time per request (utime+stime from /proc).
# With a BASELINE certdb binary (an older build), every measurement is made
# for it too, in the same run on its own database, and the ratios printed.
# Loopback only; every loop is bounded in count and time.
#   bench/certdb.sh [BUILD_DIR] [BUNDLES] [SECONDS_PER_WRK_RUN] [BASELINE_CERTDB]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-1000}
secs=${3:-10}
baseline=${4:-}
certify=$(realpath "$build/cli/certify")
certdb=$(realpath "$build/certdb/certdb")
[ -z "$baseline" ] || [ -x "$baseline" ] || { echo "baseline $baseline is not an executable" >&2; exit 2; }
for tool in curl wrk python3 xargs awk; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install $tool)" >&2; exit 2; }
done
[ -x "$certify" ] && [ -x "$certdb" ] || { echo "build certify and certdb first (ninja -C $build)" >&2; exit 2; }

work=$(mktemp -d /tmp/certdb-bench.XXXXXX)
chmod 711 "$work"  # the postgres user reaches its data directory below
pg_bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  if [ -d "$work/pg/data" ]; then runuser -u postgres -- "$pg_bindir/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

calc() { awk "BEGIN { print $1 }"; }

# --- N distinct signed bundles of a small run (inventory, plan, results, 8 jobs' logs)
"$certify" keygen "$work/vendor" >/dev/null
python3 - "$work" "$n" <<'PY'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
inv = {"schema_version": 1, "tool_version": "bench", "sysroot": "/", "memory": {}, "warnings": [],
       "system": {"system": {"manufacturer": "Contoso", "product_name": "HWLab-1000", "sku_number": "HWL-1000-2U"}},
       "os": {"id": "openeuler", "version_id": "24.03", "pretty_name": "openEuler 24.03 (LTS)"},
       "cpu": {"arch": "x86_64"},
       "devices": [{"id": "pci:0000:09:00.0", "class": "nic", "vendor_id": "0x8086", "device_id": "0x10d3",
                    "vendor": "Intel Corporation", "model": "82574L", "driver": "e1000e", "props": {}}]}
for i in range(n):
    run = os.path.join(work, "runs", f"run-{i:05d}")
    os.makedirs(run)
    jobs = []
    for j in range(8):
        jid = f"nic.t{j}@0000:09:00.0"
        d = os.path.join(run, "logs", jid)
        os.makedirs(d)
        open(os.path.join(d, "stdout.log"), "w").write(f"bundle {i} job {j}\n" + "x" * 2000)
        open(os.path.join(d, "stderr.log"), "w").write("")
        open(os.path.join(d, "result.json"), "w").write('{"status":"pass"}')
        jobs.append({"id": jid, "test": f"nic.t{j}", "suite": "nic", "class": "nic", "device": "pci:0000:09:00.0",
                     "status": "pass", "blocker": j == 0, "reason": "", "started": None, "finished": None,
                     "duration_s": 1, "exit_code": 0, "signal": None, "attempts": 1, "metrics": {},
                     "logs": {k: f"logs/{jid}/{k}.log" if k != "result" else f"logs/{jid}/result.json"
                              for k in ("stdout", "stderr", "result")}})
    res = {"schema_version": 1, "run_id": f"bench-{i}", "tool_version": "bench", "started": None,
           "finished": None, "host": {"system": {}, "os": {}, "cpu": {}}, "jobs": jobs}
    json.dump(inv, open(os.path.join(run, "inventory.json"), "w"))
    json.dump({"schema_version": 1, "jobs": []}, open(os.path.join(run, "plan.json"), "w"))
    json.dump(res, open(os.path.join(run, "results.json"), "w"))
PY
mkdir -p "$work/bundles"
t0=$(date +%s.%N)
ls "$work/runs" | xargs -P 2 -I{} "$certify" bundle --results "$work/runs/{}" -o "$work/bundles/{}.cbundle" \
  --key "$work/vendor.key" --threads 1 >/dev/null
t1=$(date +%s.%N)
bytes=$(du -cb "$work"/bundles/*.cbundle | tail -1 | cut -f1)
printf 'made %d bundles (%.1f KiB each) in %.1f s\n' "$n" "$(calc "$bytes / $n / 1024")" "$(calc "$t1 - $t0")"

wrk_lua=$work/report.lua
cat > "$wrk_lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %d %.1f %.2f %.2f\n", summary.requests, summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

results=()
note() { results+=("$1"); echo "$1"; }
declare -A rps_of p99_of
ticks=$(getconf CLK_TCK)
# CPU seconds (user + system) the process has used so far.
cpu_of() { awk -v t="$ticks" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
run_backend() {
  local name=$1 db=$2 bin=$3
  "$bin" user add vendor --org Contoso --role submitter --db "$db" >/dev/null
  "$bin" user add reviewer --org SIG --role reviewer --db "$db" >/dev/null
  "$bin" user key vendor "$work/vendor.pub" --db "$db" >/dev/null
  local vt rt
  vt=$("$bin" user token vendor --db "$db")
  rt=$("$bin" user token reviewer --db "$db")
  rm -f "$work/port"
  "$bin" serve --db "$db" --listen 127.0.0.1:0 --port-file "$work/port" --threads 64 2>"$work/$name.log" &
  server_pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  local port url
  port=$(cat "$work/port")
  url=http://127.0.0.1:$port
  local c0 c1
  c0=$(cpu_of "$server_pid")
  t0=$(date +%s.%N)
  ls "$work"/bundles/*.cbundle | xargs -P 4 -I{} sh -c \
    'code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $1" -H "Content-Type: application/vnd.certify.bundle" \
       --data-binary @"$2" "$3/api/v1/submissions"); [ "$code" = 201 ] || { echo "upload $2: HTTP $code" >&2; exit 255; }' \
    _ "$vt" {} "$url"
  t1=$(date +%s.%N)
  c1=$(cpu_of "$server_pid")
  local ingest
  ingest=$(calc "$t1 - $t0")
  local stored
  # The whole queue: its length (an older server has no total and no paging).
  stored=$(curl -s -H "Authorization: Bearer $rt" "$url/api/v1/queue?limit=1000" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("total", len(j["queue"])))')
  [ "$stored" = "$n" ] || { echo "$name: queue holds $stored of $n" >&2; exit 1; }
  rps_of[$name/ingest]=$(calc "$n / $ingest")
  note "$(printf '%-19s ingest+verify %6d bundles  %7.1f s  %8.1f bundles/s  server CPU %6.1f s (%5.2f ms/bundle)  load %s' \
    "$name" "$n" "$ingest" "$(calc "$n / $ingest")" "$(calc "$c1 - $c0")" "$(calc "($c1 - $c0) * 1000 / $n")" \
    "$(cut -d' ' -f1 /proc/loadavg)")"
  for path in "/api/v1/submissions" "/api/v1/queue" "/api/v1/queue?limit=1000"; do
    local line bytes
    bytes=$(curl -s -H "Authorization: Bearer $rt" "$url$path" | wc -c)
    c0=$(cpu_of "$server_pid")
    line=$(wrk -t2 -c50 -d"${secs}s" --latency -s "$wrk_lua" -H "Authorization: Bearer $rt" "$url$path" | grep '^WRK ')
    c1=$(cpu_of "$server_pid")
    read -r _ reqs errs rps p50 p99 <<<"$line"
    rps_of[$name$path]=$rps
    p99_of[$name$path]=$p99
    note "$(printf '%-19s GET %-24s 50 clients %8.1f req/s  p50 %8.2f ms  p99 %8.2f ms  server CPU %5.2f ms/req  %7d B/resp  (%d requests, %d errors)  load %s' \
      "$name" "$path" "$rps" "$p50" "$p99" "$(calc "($c1 - $c0) * 1000 / ($reqs > 0 ? $reqs : 1)")" "$bytes" "$reqs" "$errs" \
      "$(cut -d' ' -f1 /proc/loadavg)")"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  "$bin" audit verify --db "$db" >/dev/null || { echo "$name: audit log does not verify" >&2; exit 1; }
}

# this build / the baseline, measured in the same run
ratios() {
  local backend=$1
  [ -n "$baseline" ] || return 0
  note "$(printf '%-19s ingest bundles/s ratio (this/baseline) %.2f' "$backend" \
    "$(calc "${rps_of[$backend/ingest]} / ${rps_of[$backend-baseline/ingest]}")")"
  for path in "/api/v1/submissions" "/api/v1/queue" "/api/v1/queue?limit=1000"; do
    note "$(printf '%-19s GET %-24s req/s ratio %6.2f   p99 ratio (baseline/this) %6.2f' "$backend" "$path" \
      "$(calc "${rps_of[$backend$path]} / ${rps_of[$backend-baseline$path]}")" \
      "$(calc "${p99_of[$backend-baseline$path]} / ${p99_of[$backend$path]}")")"
  done
}

echo "load at start: $(cat /proc/loadavg)"
run_backend sqlite "$work/certdb.sqlite" "$certdb"
[ -z "$baseline" ] || run_backend sqlite-baseline "$work/baseline.sqlite" "$baseline"
ratios sqlite

if [ -x "$pg_bindir/initdb" ]; then
  mkdir -p "$work/pg" && chown postgres: "$work/pg"
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pg_bindir/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
  runuser -u postgres -- "$pg_bindir/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-h 127.0.0.1 -p $pgport -k $work/pg -c max_connections=200" start >/dev/null
  runuser -u postgres -- "$pg_bindir/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE certdb" >/dev/null
  run_backend postgresql "postgresql://postgres@127.0.0.1:$pgport/certdb" "$certdb"
  if [ -n "$baseline" ]; then
    runuser -u postgres -- "$pg_bindir/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE certdb_baseline" >/dev/null
    run_backend postgresql-baseline "postgresql://postgres@127.0.0.1:$pgport/certdb_baseline" "$baseline"
    ratios postgresql
  fi
else
  note "postgresql: not installed (apt-get install postgresql): skipped"
fi

echo
printf '%s\n' "${results[@]}"
