#!/usr/bin/env bash
# Benchmark: the public list (issue 10) at 100,000 and 1,000,000 certificates.
#   bench/publish.sh [BUILD_DIR] [COUNTS...]      (default: build 100000 1000000)
# For each count: full `certdb publish` (targets: 1M < 60 s on 2 cores),
# incremental publish of one withdrawal (`--changes`, end to end including
# process start; target < 1 s), a republish from all records, size of the
# site, and the list API's query latency under load through HTTP
# (`certdb serve-list`, wrk; target p99 < 50 ms). Peers measured in the same
# run: `cp -a` of the finished site (the cost of just writing those files)
# and a full re-publish, so the ratios say how close publish is to the disk
# and how much incremental saves. Data lives in a temp dir that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
certdb=$(realpath "$build/certdb/certdb")
[ -x "$certdb" ] || { echo "no certdb binary in $build (ninja -C $build first)" >&2; exit 2; }
for tool in openssl python3 wrk /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/certify-publish-bench.XXXXXX)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
cpu() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(f\"{j['load_cpu_seconds'] + j['publish_cpu_seconds']:.2f}\")" "$1"; }

for n in "${counts[@]}"; do
  echo "== $n certificates"
  recs=$work/records-$n.jsonl site=$work/site-$n
  "$certdb" gen-certificates --count "$n" --seed 1 --out "$recs"
  echo "records: $(du -m "$recs" | cut -f1) MiB JSON Lines"
  sync

  t0=$(now)
  "$certdb" publish --records "$recs" --out "$site" --key "$work/key.pem" --json > "$work/full.json"
  t1=$(now)
  full=$(secs "$t0" "$t1")
  files=$(find "$site" -type f | wc -l)
  echo "full publish: ${full} s wall, $(cpu "$work/full.json") s CPU (load $(field "$work/full.json" load_seconds) s wall / $(field "$work/full.json" load_cpu_seconds) s CPU, publish $(field "$work/full.json" publish_seconds) s / $(field "$work/full.json" publish_cpu_seconds) s CPU), $(field "$work/full.json" files_written) files written; load $(cut -d' ' -f1 /proc/loadavg)"
  echo "site: $files files, $(( $(du -sb "$site" | cut -f1) / 1048576 )) MiB on disk ($(( $(field "$work/full.json" site_bytes) / 1048576 )) MiB of content; $(du -sb "$site/cert" | cut -f1 | awk '{printf "%d", $1/1048576}') MiB of certificate pages)"

  t0=$(now)
  cp -a "$site" "$work/copy"
  sync
  t1=$(now)
  copy=$(secs "$t0" "$t1")
  rm -rf "$work/copy"
  echo "peer cp -a of the site: ${copy} s -> publish/cp ratio $(python3 -c "print(f'{$full / max($copy, 0.001):.2f}')")"

  # One reviewer action: withdraw the certificate in the middle of the list.
  python3 - "$recs" "$n" "$work/change.jsonl" <<'PY'
import json, sys
path, n, change = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path).read().splitlines()
r = json.loads(lines[n // 2])
r["status"] = "withdrawn"
r["withdrawn"] = {"reason": "benchmark withdrawal", "by": "bench", "date": "2026-11-29"}
lines[n // 2] = json.dumps(r, sort_keys=True, separators=(",", ":"))
open(path, "w").write("\n".join(lines) + "\n")
open(change, "w").write(lines[n // 2] + "\n")
PY
  # Incremental as certdb runs it after one approval: the changed record only,
  # end to end (process start, state load, writes, signatures, sync).
  /usr/bin/time -f "%e %U %S" -o "$work/incr.time" \
    "$certdb" publish --changes "$work/change.jsonl" --out "$site" --key "$work/key.pem" --json > "$work/incr.json"
  read -r iw iu is < "$work/incr.time"
  echo "incremental publish (one withdrawal, --changes): ${iw} s wall, $(python3 -c "print(f'{$iu + $is:.2f}')") s CPU end to end, $(field "$work/incr.json" files_written) files written ($(( $(field "$work/incr.json" bytes_written) / 1024 )) KiB); load $(cut -d' ' -f1 /proc/loadavg)"
  echo "ratio full/incremental wall: $(python3 -c "print(f'{$full / max($iw, 0.001):.0f}')")"
  # The same change through the whole list (every record read again, only changed files written).
  /usr/bin/time -f "%e %U %S" -o "$work/rep.time" \
    "$certdb" publish --records "$recs" --out "$site" --key "$work/key.pem" --json > "$work/rep.json"
  read -r rw ru rs < "$work/rep.time"
  echo "republish from all records (no change left): ${rw} s wall, $(python3 -c "print(f'{$ru + $rs:.2f}')") s CPU, $(field "$work/rep.json" files_written) files written"
  "$certdb" verify-published --site "$site" "$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])//2])['id'])" "$recs" "$n")"
  rm -rf "$site"

  # The list API under load: 2 wrk threads, 16 connections, a mix of queries.
  port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
  "$certdb" serve-list --records "$recs" --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    grep -q serving "$work/serve.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.5
  done
  cat > "$work/mix.lua" <<'LUA'
local paths = {
  "/api/v1/list",
  "/api/v1/list?os=debian&class=nic",
  "/api/v1/list?os=rhel&os_like=1&arch=aarch64&sort=vendor",
  "/api/v1/list?vendor=contoso&issued_from=2023-01-01&issued_to=2023-12-31",
  "/api/v1/list?q=server%20c15&per_page=100",
  "/api/v1/list?model=w1490&sort=-issued",
  "/api/v1/list?status=withdrawn&page=3",
  "/api/v1/list?os=ubuntu&os_version=24.04&class=nvme&sort=product&page=20",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
  wrk -t2 -c16 -d20s --latency -s "$work/mix.lua" "http://127.0.0.1:$port" > "$work/wrk.txt"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
  echo "API list queries (mix of 8, 16 connections): $rps req/s; latency $(awk '/^ +50%/ {printf "p50 %s ", $2} /^ +90%/ {printf "p90 %s ", $2} /^ +99%/ {printf "p99 %s", $2}' "$work/wrk.txt")"
  grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true
  rm -f "$recs"
done
