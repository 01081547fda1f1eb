#!/usr/bin/env bash
# Benchmark of certdb on both backends (sqlite WAL file; PostgreSQL in a
# throwaway server started here as the postgres user under /tmp):
#  1. ingest + verify of N signed bundles (default 1,000) uploaded by 4
#     parallel clients (curl, like certify submit): bundles/s and wall time;
#  2. GET /api/v1/submissions and GET /api/v1/queue under 50 concurrent
#     clients with wrk: requests/s and p99 latency.
# Loopback only; every loop is bounded in count and time.
#   bench/certdb.sh [BUILD_DIR] [BUNDLES] [SECONDS_PER_WRK_RUN]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-1000}
secs=${3:-10}
certify=$(realpath "$build/cli/certify")
certdb=$(realpath "$build/certdb/certdb")
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
run_backend() {
  local name=$1 db=$2
  "$certdb" user add vendor --org Contoso --role submitter --db "$db" >/dev/null
  "$certdb" user add reviewer --org SIG --role reviewer --db "$db" >/dev/null
  "$certdb" user key vendor "$work/vendor.pub" --db "$db" >/dev/null
  local vt rt
  vt=$("$certdb" user token vendor --db "$db")
  rt=$("$certdb" user token reviewer --db "$db")
  rm -f "$work/port"
  "$certdb" serve --db "$db" --listen 127.0.0.1:0 --port-file "$work/port" --threads 64 2>"$work/$name.log" &
  server_pid=$!
  for _ in $(seq 1 200); do [ -s "$work/port" ] && break; sleep 0.05; done
  local port url
  port=$(cat "$work/port")
  url=http://127.0.0.1:$port
  t0=$(date +%s.%N)
  ls "$work"/bundles/*.cbundle | xargs -P 4 -I{} sh -c \
    'code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $1" -H "Content-Type: application/vnd.certify.bundle" \
       --data-binary @"$2" "$3/api/v1/submissions"); [ "$code" = 201 ] || { echo "upload $2: HTTP $code" >&2; exit 255; }' \
    _ "$vt" {} "$url"
  t1=$(date +%s.%N)
  local ingest
  ingest=$(calc "$t1 - $t0")
  local stored
  stored=$(curl -s -H "Authorization: Bearer $rt" "$url/api/v1/queue" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
  [ "$stored" = "$n" ] || { echo "$name: queue holds $stored of $n" >&2; exit 1; }
  note "$(printf '%-10s ingest+verify  %6d bundles  %7.1f s  %8.1f bundles/s' "$name" "$n" "$ingest" "$(calc "$n / $ingest")")"
  for path in "/api/v1/submissions" "/api/v1/queue"; do
    local line
    line=$(wrk -t2 -c50 -d"${secs}s" --latency -s "$wrk_lua" -H "Authorization: Bearer $rt" "$url$path" | grep '^WRK ')
    read -r _ reqs errs rps p50 p99 <<<"$line"
    note "$(printf '%-10s GET %-20s 50 clients  %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  (%d requests, %d errors)' \
      "$name" "$path" "$rps" "$p50" "$p99" "$reqs" "$errs")"
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  "$certdb" audit verify --db "$db" >/dev/null || { echo "$name: audit log does not verify" >&2; exit 1; }
}

run_backend sqlite "$work/certdb.sqlite"

if [ -x "$pg_bindir/initdb" ]; then
  mkdir -p "$work/pg" && chown postgres: "$work/pg"
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  runuser -u postgres -- "$pg_bindir/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >/dev/null
  runuser -u postgres -- "$pg_bindir/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
    -o "-h 127.0.0.1 -p $pgport -k $work/pg -c max_connections=200" start >/dev/null
  runuser -u postgres -- "$pg_bindir/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE certdb" >/dev/null
  run_backend postgresql "postgresql://postgres@127.0.0.1:$pgport/certdb"
else
  note "postgresql: not installed (apt-get install postgresql): skipped"
fi

echo
printf '%s\n' "${results[@]}"
