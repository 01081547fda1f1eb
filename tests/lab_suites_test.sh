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
FILES="$BUILD/cli/certify $BUILD/cli/certify-run $BUILD/cli/certify-full $WORK/payload/testsuites $WORK/payload/run.sh"
[ -n "$KV" ] && [ -f "$VETH" ] && { cp "$VETH" "$WORK/payload/veth.ko"; FILES="$FILES $WORK/payload/veth.ko"; }
# RDMA: Soft-RoCE (rdma_rxe and its dependencies, modules the lab image does
# not carry), iproute2's rdma, perftest and libibverbs' rxe provider; the rdma
# suite then runs on rxe0 over the e1000e port against a certify peer on the
# guest's own address (rdma_rxe in 6.1 binds its UDP socket in the initial
# network namespace only, so a peer in another namespace cannot carry RoCE).
# rdma_rxe computes its ICRC with the crypto API's "crc32" (crc32_generic), a
# dependency modprobe cannot see: without it "rdma link add" fails with ENOENT
# and the kernel logs "rdma_rxe: failed to init crc32 algorithm err:-2".
EXPECT_RDMA=absent
RXE_MODS=$( { modprobe -S "$KV" --show-depends crc32_generic && modprobe -S "$KV" --show-depends rdma_rxe; } 2>/dev/null |
  awk '$1=="insmod"{print $2}')
RXE_LIB=$(ls /usr/lib/*/libibverbs/librxe-rdmav*.so 2>/dev/null | head -1)
if [ -n "$RXE_MODS" ] && [ -n "$RXE_LIB" ] && [ -f /etc/libibverbs.d/rxe.driver ] && command -v rdma >/dev/null &&
   command -v ib_write_bw >/dev/null && command -v ib_send_bw >/dev/null; then
  mkdir -p "$WORK/payload/rxe"
  for m in $RXE_MODS; do cp "$m" "$WORK/payload/rxe/"; done
  echo "$RXE_MODS" | xargs -n1 basename > "$WORK/payload/rxe/order"
  cp "$RXE_LIB" /etc/libibverbs.d/rxe.driver "$WORK/payload/rxe/"
  FILES="$FILES $WORK/payload/rxe $(command -v rdma) $(command -v ib_write_bw) $(command -v ib_send_bw) $RXE_LIB"
  EXPECT_RDMA=pass
else
  echo "lab-suites: no Soft-RoCE here (rdma_rxe for $KV, rdma, perftest, ibverbs-providers): the rdma jobs are not expected"
fi
cat > "$WORK/payload/run.sh" <<'GUEST'
[ -f ./veth.ko ] && insmod ./veth.ko
RDMA=""
if [ -d ./rxe ]; then
  for m in $(cat ./rxe/order); do insmod "./rxe/$m"; done
  mkdir -p /etc/libibverbs.d && cp ./rxe/rxe.driver /etc/libibverbs.d/
  lib=$(ls ./rxe/librxe-rdmav*.so); mkdir -p /usr/lib/x86_64-linux-gnu/libibverbs && cp "$lib" /usr/lib/x86_64-linux-gnu/libibverbs/
  cp ./ib_write_bw ./ib_send_bw /usr/bin/  # the suite and the peer find perftest on PATH
  IF=""
  for n in /sys/class/net/*; do case "$(readlink "$n/device/driver")" in */e1000e) IF=${n##*/};; esac; done
  ip link set "$IF" up && ip addr add 10.0.2.15/24 dev "$IF"
  if ./rdma link add rxe0 type rxe netdev "$IF"; then
    ./certify peer --listen > /tmp/rdma-peer.log 2>&1 &
    RDMA="--param rdma_peer=10.0.2.15"
    echo "Soft-RoCE rxe0 on $IF"
  else
    echo "rdma link add rxe0 on $IF failed"
  fi
fi
# Short measurements: TCG is slow and the proof is the path, not the numbers.
# --destructive: QEMU runs with -snapshot, the disk images are never changed.
# ras.* and poison.* inject errors (their own lab test: tests/lab/ras_lab.sh); here they
# would only put machine checks into the log that system.dmesg reads.
./certify run --suites ./testsuites --results /tmp/results --run-id lab -j 2 --quiet --destructive --skip 'ras.*,poison.*' \
  --param seconds=2 --param share_percent=3 --param passes=1 --param mib=16 --param udp_mbps=10 --param min_mbps=1 $RDMA
rc=$?
cp /tmp/results/lab/results.json /mnt/host/results.json
[ -n "$RDMA" ] && { cp /tmp/rdma-peer.log /mnt/host/rdma-peer.log; dmesg | grep -e rdma_rxe -e 'infiniband rxe0' > /mnt/host/rdma-dmesg.log; }
mkdir -p /mnt/host/logs && cp -r /tmp/results/lab/logs/. /mnt/host/logs/
echo "certify run exit $rc"
exit 0
GUEST
( cd "$WORK/payload" && flock /tmp/certify-lab.lock env LAB_ACCEL=tcg LAB_TIMEOUT=${LAB_TIMEOUT:-1200} LAB_SHARE="$WORK/share" \
    LAB_FILES="$FILES" "$LAB/runlab.sh" 'sh ./run.sh' )
rc=$?
[ $rc -eq 0 ] || { echo "lab-suites: the lab run failed (exit $rc)"; exit 1; }
[ -s "$WORK/share/results.json" ] || { echo "lab-suites: the guest wrote no results.json"; exit 1; }
EXPECT_RDMA=$EXPECT_RDMA python3 - "$WORK/share/results.json" "$EXPECT" "$WORK/share/logs" <<'PY'
import json, os, sys
results, expect_path, logs = sys.argv[1:4]
jobs = {j["id"]: j for j in json.load(open(results))["jobs"]}
got = {k: v["status"] for k, v in jobs.items()}
if os.environ.get("CERTIFY_UPDATE_GOLDEN") == "1":
    json.dump(dict(sorted(got.items())), open(expect_path, "w"), indent=2)
    open(expect_path, "a").write("\n")
    print("lab-suites: expectation rewritten:", expect_path)
want = json.load(open(expect_path))
if os.environ.get("EXPECT_RDMA") != "pass":  # no Soft-RoCE on this host: no RDMA port in the guest
    want = {k: v for k, v in want.items() if not k.startswith("rdma.")}
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
# The RDMA jobs on rxe0 must have measured: perftest's numbers in their metrics.
for k in sorted(k for k in got if k.startswith("rdma.")):
    m = jobs[k].get("metrics", {})
    print(f"    {k} metrics: " + ", ".join(f"{n}={v}" for n, v in sorted(m.items())))
    # rxe0's hw_counters moved during each perftest run: the traffic crossed the port under test.
    need = ["rate_gbps"] if k.startswith("rdma.port@") else \
        [f"{t}_{u}" for t in ("ib_write_bw", "ib_send_bw") for u in ("gbps", "mpps", "port_tx_packets", "port_rx_packets")]
    for n in need:
        if got[k] == "pass" and not (isinstance(m.get(n), (int, float)) and m[n] > 0):
            print(f"BAD {k}: passed without a measured {n}")
            bad += 1
print(f"lab-suites: {len(got)} jobs, {bad} differ from the expectation")
sys.exit(1 if bad else 0)
PY
