#!/usr/bin/env bash
# Benchmark: the public list (issue 10) at 100,000 and 1,000,000 certificates.
#   [PARTS=publish|api|all] bench/publish.sh [BUILD_DIR] [COUNTS...]   (default: all, build 100000 1000000)
# Each step prints wall and CPU seconds (user + system, from /usr/bin/time)
# and the load average. For each count:
#   publish part: generation of the records; full `certdb publish` into a new
#     directory (target: 1M < 60 s on 2 cores) with its phases; site size and
#     file count; the peer `cp -a` of the finished site (the cost of just
#     writing those bytes and files, same run); incremental publish of one
#     withdrawal end to end including process start (`--changes`, target
#     < 1 s), repeated; a republish from all records (nothing left to write);
#     verify-published of the changed certificate.
#   api part: the list API's query latency under load through HTTP
#     (`certdb serve-list`, wrk; target p99 < 50 ms).
# Data lives in a temp dir (TMPDIR) that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=${PARTS:-all}
case "$parts" in publish|api|all) ;; *) echo "PARTS must be publish, api or all" >&2; exit 2 ;; esac
build=${1:-build}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
certdb=$(realpath "$build/certdb/certdb")
[ -x "$certdb" ] || { echo "no certdb binary in $build (ninja -C $build first)" >&2; exit 2; }
tools=(openssl python3 /usr/bin/time)
[ "$parts" = publish ] || tools+=(wrk)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y $tool)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/certify-publish-bench.XXXXXX")
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
load() { cut -d' ' -f1 /proc/loadavg; }
# timed NAME CMD...: runs CMD under /usr/bin/time; sets $wall and $cpu.
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/$name.time" "$@"
  read -r wall u s < "$work/$name.time"
  cpu=$(python3 -c "print(f'{$u + $s:.2f}')")
}
phases() {
  python3 -c "import json,sys; print(', '.join(f\"{p['name']} {p['wall']:.2f}/{p['cpu']:.2f}\" for p in json.load(open(sys.argv[1])).get('phases', [])))" "$1"
}

for n in "${counts[@]}"; do
  echo "== $n certificates"
  recs=$work/records-$n.jsonl site=$work/site-$n
  timed gen "$certdb" gen-certificates --count "$n" --seed 1 --out "$recs"
  echo "generation: ${wall} s wall, ${cpu} s CPU; $(( $(stat -c %s "$recs") / 1048576 )) MiB JSON Lines; load $(load)"
  sync

  if [ "$parts" != api ]; then
    timed full "$certdb" publish --records "$recs" --out "$site" --key "$work/key.pem" --json > "$work/full.json"
    full=$wall
    echo "full publish: ${wall} s wall, ${cpu} s CPU, $(field "$work/full.json" files_written) files written (phases wall/CPU s: $(phases "$work/full.json")); load $(load)"
    files=$(find "$site" -type f | wc -l)
    echo "site: $files files, $(( $(du -sb "$site" | cut -f1) / 1048576 )) MiB on disk ($(( $(field "$work/full.json" site_bytes) / 1048576 )) MiB of content; list/ $(du -sm "$site/list" | cut -f1) MiB, cert/ $(du -sm "$site/cert" | cut -f1) MiB, csv/ $(du -sm "$site/csv" | cut -f1) MiB, search/ $(du -sm "$site/search" | cut -f1) MiB)"

    timed copy bash -c "cp -a '$site' '$work/copy' && sync"
    echo "peer cp -a of the site + sync: ${wall} s wall, ${cpu} s CPU -> publish/cp wall ratio $(python3 -c "print(f'{$full / max($wall, 0.001):.2f}')"); load $(load)"
    rm -rf "$work/copy"

    # One reviewer action: withdraw the certificate in the middle of the list,
    # then another one near the end; each applied as certdb does after an approval:
    # the changed record only, end to end (process start, state, block, signatures, sync).
    python3 - "$recs" "$n" "$work" <<'PY'
import json, sys
path, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path).read().splitlines()
for name, at in (("change1", n // 2), ("change2", n - 2)):
    r = json.loads(lines[at])
    r["status"] = "withdrawn"
    r["withdrawn"] = {"reason": "benchmark withdrawal", "by": "bench", "date": "2026-11-29"}
    lines[at] = json.dumps(r, sort_keys=True, separators=(",", ":"))
    open(f"{work}/{name}.jsonl", "w").write(lines[at] + "\n")
open(path, "w").write("\n".join(lines) + "\n")
PY
    for c in change1 change2; do
      timed incr "$certdb" publish --changes "$work/$c.jsonl" --out "$site" --key "$work/key.pem" --json > "$work/incr.json"
      echo "incremental publish ($c, one withdrawal, --changes): ${wall} s wall, ${cpu} s CPU end to end, $(field "$work/incr.json" files_written) files written ($(( $(field "$work/incr.json" bytes_written) / 1024 )) KiB; phases: $(phases "$work/incr.json")); load $(load)"
    done
    echo "ratio full/incremental wall: $(python3 -c "print(f'{$full / max($wall, 0.001):.0f}')")"
    # The same changes through the whole list (every record read again, nothing left to write).
    timed rep "$certdb" publish --records "$recs" --out "$site" --key "$work/key.pem" --json > "$work/rep.json"
    echo "republish from all records (no change left): ${wall} s wall, ${cpu} s CPU, $(field "$work/rep.json" files_written) files written; load $(load)"
    id=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['id'])" "$work/change1.jsonl")
    timed verify "$certdb" verify-published --site "$site" "$id" > "$work/verify.txt"
    echo "verify-published $id: ${wall} s wall, ${cpu} s CPU: $(cat "$work/verify.txt")"
    rm -rf "$site"
  fi
  [ "$parts" != publish ] || { rm -f "$recs"; continue; }

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
