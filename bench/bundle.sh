#!/usr/bin/env bash
# Benchmark: certify bundle + sign + verify of a run with 1,000 log files
# totalling 1 GiB, against the shell pipeline a lab would otherwise use on
# the same data in the same run: sha256sum (manifest) + openssl pkeyutl
# (Ed25519 signature) + tar --zstd (archive), and for verification
# tar --zstd -x + openssl pkeyutl -verify + sha256sum -c.
#   bench/bundle.sh [BUILD_DIR] [TOTAL_MIB] [FILES]
# Prints wall times, throughput and the ratio peer/certify (>= 1 means
# certify is no slower). Generated data lives in a temp dir that is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
total_mib=${2:-1024}
files=${3:-1000}
certify=$(realpath "$build/cli/certify")
[ -x "$certify" ] || { echo "no certify binary in $build (ninja -C $build first)" >&2; exit 2; }
for tool in tar zstd sha256sum openssl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

work=$(mktemp -d /tmp/certify-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
res=$work/results/bench-run
mkdir -p "$res/logs"

# Log-like text: timestamps, job ids, counters and random hex, so it
# compresses like real test output (roughly 3-4x), different in every file.
python3 - "$res" "$total_mib" "$files" <<'EOF'
import json, os, sys
res, total_mib, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per_file = total_mib * 1024 * 1024 // files
jobs = []
for f in range(files):
    job = f"stress.{f:04d}"
    d = os.path.join(res, "logs", job)
    os.makedirs(d)
    out, size, i = [], 0, 0
    while size < per_file:
        rnd = os.urandom(4096).hex()
        for k in range(0, len(rnd), 32):
            line = (f"2026-11-24T07:{(i // 60) % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z {job} iter={i} "
                    f"lba=0x{rnd[k:k+12]} crc={rnd[k+12:k+20]} status=ok latency_us={int(rnd[k+20:k+24], 16) % 900}\n")
            out.append(line); size += len(line); i += 1
            if size >= per_file: break
    data = "".join(out).encode()[:per_file]
    open(os.path.join(d, "stdout.log"), "wb").write(data)
    jobs.append({"id": job, "status": "pass", "log": f"logs/{job}/stdout.log"})
json.dump({"os": {"id": "debian", "version_id": "12", "arch": "x86_64"}}, open(os.path.join(res, "inventory.json"), "w"))
json.dump({"jobs": [j["id"] for j in jobs]}, open(os.path.join(res, "plan.json"), "w"))
json.dump({"run_id": "bench-run", "finished": "2026-11-24T07:00:00Z", "jobs": jobs},
          open(os.path.join(res, "results.json"), "w"))
EOF
bytes=$(du -sb "$res" | cut -f1)
nfiles=$(find "$res" -type f | wc -l)
echo "data: $nfiles files, $((bytes / 1048576)) MiB in $res"

now() { date +%s.%N; }
sync

# certify: bundle, sign, verify (keys made outside the timing).
"$certify" keygen "$work/bench" >/dev/null
t0=$(now)
"$certify" bundle --results "$res" -o "$work/run.cbundle" >/dev/null
t1=$(now)
"$certify" sign "$work/run.cbundle" --key "$work/bench.key" >/dev/null
t2=$(now)
"$certify" verify "$work/run.cbundle" --pubkey "$work/bench.pub" >/dev/null
t3=$(now)
ours_size=$(stat -c %s "$work/run.cbundle")
rm -f "$work/run.cbundle"

# Peer pipeline on the same data.
openssl genpkey -algorithm ed25519 -out "$work/peer.key" 2>/dev/null
openssl pkey -in "$work/peer.key" -pubout -out "$work/peer.pub"
mkdir -p "$work/peer" "$work/peer-x"
p0=$(now)
(cd "$res" && find . -type f -print0 | sort -z | xargs -0 sha256sum > "$work/peer/SHA256SUMS")
openssl pkeyutl -sign -inkey "$work/peer.key" -rawin -in "$work/peer/SHA256SUMS" -out "$work/peer/SHA256SUMS.sig"
tar --zstd -cf "$work/peer.tar.zst" -C "$res" . -C "$work/peer" SHA256SUMS SHA256SUMS.sig
p1=$(now)
tar --zstd -xf "$work/peer.tar.zst" -C "$work/peer-x"
openssl pkeyutl -verify -pubin -inkey "$work/peer.pub" -rawin -in "$work/peer-x/SHA256SUMS" \
  -sigfile "$work/peer-x/SHA256SUMS.sig" >/dev/null
(cd "$work/peer-x" && sha256sum -c --quiet SHA256SUMS)
p2=$(now)
peer_size=$(stat -c %s "$work/peer.tar.zst")

python3 - "$bytes" "$t0" "$t1" "$t2" "$t3" "$p0" "$p1" "$p2" "$ours_size" "$peer_size" <<'EOF'
import sys
b, t0, t1, t2, t3, p0, p1, p2, os_, ps = (float(x) for x in sys.argv[1:])
mib = b / 1048576
ours = t3 - t0; peer = p2 - p0
print(f"certify: bundle {t1-t0:6.2f} s  sign {t2-t1:6.2f} s  verify {t3-t2:6.2f} s  total {ours:6.2f} s"
      f"  {mib/ours:7.1f} MiB/s  bundle {os_/1048576:.0f} MiB")
print(f"peer:    create {p1-p0:6.2f} s (sha256sum+pkeyutl+tar --zstd)  verify {p2-p1:6.2f} s"
      f"  total {peer:6.2f} s  {mib/peer:7.1f} MiB/s  archive {ps/1048576:.0f} MiB")
print(f"ratio peer/certify: {peer/ours:.2f} ({'certify no slower' if peer >= ours else 'certify SLOWER'})")
EOF
