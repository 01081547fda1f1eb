#!/bin/bash
# lab-suites: every per-class suite end to end in the virtual lab guest (one
# boot, real NVMe/e1000e/MegaRAID/virtio/xHCI/display drivers), each job's
# status compared with the expectation recorded in
# tests/fixtures/suites-class/lab-expected.json. Exit 77 (skip) without the lab.
#   lab_suites_test.sh SOURCE_DIR BUILD_DIR
# CERTIFY_UPDATE_GOLDEN=1 rewrites the expectation from this run (review the diff).
set -uo pipefail
SRC=$(cd "$1" && pwd); BUILD=$(cd "$2" && pwd)
LAB=${CERTIFY_LAB:-$SRC/../shared/lab}
CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certify-lab}
EXPECT=$SRC/tests/fixtures/suites-class/lab-expected.json
if [ ! -x "$LAB/runlab.sh" ] || [ ! -e "$CACHE/vmlinuz" ] || ! command -v qemu-system-x86_64 >/dev/null; then
  echo "lab-suites: no virtual lab here ($LAB, $CACHE): skipped"; exit 77
fi
WORK=$(mktemp -d /tmp/certify-lab-suites.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/payload" "$WORK/share"
cp -a "$SRC/testsuites" "$WORK/payload/testsuites"
# veth is a module the lab image does not carry: bring it along for nic.peer-netns.
KV=$(cat "$CACHE/kver" 2>/dev/null || true)
VETH=/lib/modules/$KV/kernel/drivers/net/veth.ko
FILES="$BUILD/cli/certify $BUILD/cli/certify-full $WORK/payload/testsuites $WORK/payload/run.sh"
[ -n "$KV" ] && [ -f "$VETH" ] && { cp "$VETH" "$WORK/payload/veth.ko"; FILES="$FILES $WORK/payload/veth.ko"; }
cat > "$WORK/payload/run.sh" <<'GUEST'
[ -f ./veth.ko ] && insmod ./veth.ko
# Short measurements: TCG is slow and the proof is the path, not the numbers.
# --destructive: QEMU runs with -snapshot, the disk images are never changed.
# ras.* and poison.* inject errors (their own lab test: tests/lab/ras_lab.sh); here they
# would only put machine checks into the log that system.dmesg reads.
./certify run --suites ./testsuites --results /tmp/results --run-id lab -j 2 --quiet --destructive --skip 'ras.*,poison.*' \
  --param seconds=2 --param share_percent=3 --param passes=1 --param mib=16 --param udp_mbps=10 --param min_mbps=1
rc=$?
cp /tmp/results/lab/results.json /mnt/host/results.json
mkdir -p /mnt/host/logs && cp -r /tmp/results/lab/logs/. /mnt/host/logs/
echo "certify run exit $rc"
exit 0
GUEST
( cd "$WORK/payload" && flock /tmp/certify-lab.lock env LAB_ACCEL=tcg LAB_TIMEOUT=${LAB_TIMEOUT:-1200} LAB_SHARE="$WORK/share" \
    LAB_FILES="$FILES" "$LAB/runlab.sh" 'sh ./run.sh' )
rc=$?
[ $rc -eq 0 ] || { echo "lab-suites: the lab run failed (exit $rc)"; exit 1; }
[ -s "$WORK/share/results.json" ] || { echo "lab-suites: the guest wrote no results.json"; exit 1; }
python3 - "$WORK/share/results.json" "$EXPECT" "$WORK/share/logs" <<'PY'
import json, os, sys
results, expect_path, logs = sys.argv[1:4]
jobs = {j["id"]: j for j in json.load(open(results))["jobs"]}
got = {k: v["status"] for k, v in jobs.items()}
if os.environ.get("CERTIFY_UPDATE_GOLDEN") == "1":
    json.dump(dict(sorted(got.items())), open(expect_path, "w"), indent=2)
    open(expect_path, "a").write("\n")
    print("lab-suites: expectation rewritten:", expect_path)
want = json.load(open(expect_path))
bad = 0
for k in sorted(set(want) | set(got)):
    w, g = want.get(k, "(not expected)"), got.get(k, "(not run)")
    reason = jobs.get(k, {}).get("reason", "")
    print(f"{'ok ' if w == g else 'BAD'} {k}: expected {w}, got {g}" + (f" - {reason}" if reason else ""))
    if w != g:
        bad += 1
        out = os.path.join(logs, k, "stdout.log")
        if os.path.exists(out):
            print("    " + open(out, errors="replace").read()[-1500:].replace("\n", "\n    "))
print(f"lab-suites: {len(got)} jobs, {bad} differ from the expectation")
sys.exit(1 if bad else 0)
PY
