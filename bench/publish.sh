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

  # The list API under load through HTTP (bench/list_api.sh: the mix of 8
  # queries at 16 and 4 connections, each query alone, server CPU per request).
  bench/list_api.sh "$certdb" "$recs"
  rm -f "$recs"
done
