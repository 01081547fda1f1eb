#!/bin/bash
# lab-suites-reboot: the tests that take the machine down, end to end in the
# virtual lab guest (one QEMU process, several guest boots):
#   boot 1: certify run --destructive of system.watchdog-reset and
#           system.crash-dump; the i6300esb watchdog (QEMU -device i6300esb)
#           is armed and no longer petted: the guest resets;
#   boot 2: certify run --resume: the watchdog test's post-reboot check
#           (boot id, boot time, i6300esb bootstatus WDIOF_CARDRESET); then the
#           crash test writes 'c' to /proc/sysrq-trigger;
#   capture kernel (kexec -p, crashkernel=384M): makedumpfile saves /proc/vmcore
#           to the run's disk and reboots;
#   boot 3: certify run --resume: the crash test finds the dump and reads it.
# The run's results live on an ext4 file system on the virtio-scsi disk (QEMU
# -snapshot keeps writes for the life of the QEMU process, across resets).
# Both jobs must pass. Exit 77 (skip) without the lab or without the guest
# kernel's i6300esb module; the crash part needs kexec-tools and makedumpfile
# on the host (copied into the guest), else that job must skip with the reason.
#   lab_suites_reboot_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
SRC=$(cd "$1" && pwd); BUILD=$(cd "$2" && pwd)
LAB=${CERTIFY_LAB:-$SRC/../shared/lab}
CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certify-lab}
if [ ! -x "$LAB/runlab.sh" ] || [ ! -e "$CACHE/vmlinuz" ] || ! command -v qemu-system-x86_64 >/dev/null; then
  echo "lab-suites-reboot: no virtual lab here ($LAB, $CACHE): skipped"; exit 77
fi
KV=$(cat "$CACHE/kver" 2>/dev/null || true)
MODDIR=/lib/modules/$KV/kernel/drivers/watchdog
if [ -z "$KV" ] || [ ! -f "$MODDIR/i6300esb.ko" ]; then
  echo "lab-suites-reboot: the guest kernel's i6300esb module is not on this host ($MODDIR): skipped"; exit 77
fi
WORK=$(mktemp -d /tmp/certify-lab-reboot.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
P=$WORK/payload; mkdir -p "$P" "$WORK/share"
cp -a "$SRC/testsuites" "$P/testsuites"
cp "$MODDIR/i6300esb.ko" "$P/"
[ -f "$MODDIR/watchdog.ko" ] && cp "$MODDIR/watchdog.ko" "$P/"
# ext4 (in the lab image) needs a crc32c driver the image does not carry.
CRC=/lib/modules/$KV/kernel/crypto/crc32c_generic.ko
[ -f "$CRC" ] && cp "$CRC" "$P/"
FILES="$BUILD/cli/certify $BUILD/cli/certify-run $BUILD/cli/certify-full $P/testsuites $P/run.sh $P/i6300esb.ko"
[ -f "$P/watchdog.ko" ] && FILES="$FILES $P/watchdog.ko"
[ -f "$P/crc32c_generic.ko" ] && FILES="$FILES $P/crc32c_generic.ko"
EXPECT_CRASH=skip
KEXEC=$(command -v kexec || true); MDF=$(command -v makedumpfile || true)
if [ -n "$KEXEC" ] && [ -n "$MDF" ]; then
  EXPECT_CRASH=pass
  cp "$CACHE/vmlinuz" "$P/vmlinuz"
  FILES="$FILES $KEXEC $P/vmlinuz"
  # The capture kernel's initramfs: the lab's own plus makedumpfile and its
  # libraries, and /lab/cmd = this run.sh (it sees /proc/vmcore and saves it).
  C=$WORK/capture; mkdir -p "$C/lab/payload"
  cp -L "$MDF" "$C/lab/payload/makedumpfile"
  [ -f "$CRC" ] && cp "$CRC" "$C/lab/payload/"
  ldd "$MDF" | grep -o '/[^ ]*' | while read -r l; do
    [ -e "$l" ] || continue; mkdir -p "$C$(dirname "$l")"; cp -L "$l" "$C$l"
  done
else
  echo "lab-suites-reboot: kexec-tools or makedumpfile missing on the host: system.crash-dump must skip"
fi
cat > "$P/run.sh" <<'GUEST'
# Runs at every boot of the guest (and in the capture kernel).
disk() {  # the virtio-scsi disk, by the serial QEMU gives it
  for d in /sys/block/sd*; do grep -qs VS-DISK-0001 "$d/device/vpd_pg80" && echo "/dev/${d##*/}"; done | head -1
}
[ -f ./crc32c_generic.ko ] && insmod ./crc32c_generic.ko
modprobe ext4 || echo "modprobe ext4 failed"
mkdir -p /persist
if [ -e /proc/vmcore ]; then
  D=$(disk); mount -t ext4 "$D" /persist || { echo "capture: cannot mount $D"; reboot -f; }
  stamp=$(date +%Y%m%d%H%M%S); mkdir -p "/persist/crash/$stamp"
  ./makedumpfile -c -d 31 /proc/vmcore "/persist/crash/$stamp/dump.$stamp" > /persist/crash/makedumpfile.log 2>&1
  echo "capture: makedumpfile exit $? ($(ls -l /persist/crash/$stamp | tail -1))" | tee -a /persist/boots.log
  sync; umount /persist; reboot -f
  sleep 30
fi
[ -f ./watchdog.ko ] && insmod ./watchdog.ko
insmod ./i6300esb.ko
D=$(disk)
[ -n "$D" ] || { echo "no virtio-scsi disk with serial VS-DISK-0001"; exit 1; }
if mount -t ext4 "$D" /persist 2>/dev/null && [ -f /persist/certify-lab-reboot ]; then
  first=0
else
  mkfs.ext2 -q -F "$D" 2>/dev/null || mke2fs -q -F "$D" || { echo "mke2fs $D failed"; exit 1; }
  mount -t ext4 "$D" /persist || { echo "mount $D failed"; exit 1; }
  touch /persist/certify-lab-reboot; mkdir -p /persist/crash; first=1
fi
echo "boot $(cat /proc/sys/kernel/random/boot_id) first=$first btime=$(awk '/^btime/{print $2}' /proc/stat) bootstatus=$(cat /sys/class/watchdog/watchdog0/bootstatus 2>/dev/null)" | tee -a /persist/boots.log
if [ -x ./kexec ] && [ -f ./capture.img ]; then
  ./kexec -p ./vmlinuz --initrd=./capture.img \
    --append="console=ttyS0,115200 panic=-1 loglevel=5 irqpoll nr_cpus=1 reset_devices lab.settle=3" \
    && echo "crash kernel loaded: $(cat /sys/kernel/kexec_crash_loaded)" || echo "kexec -p failed"
fi
if [ $first = 1 ]; then
  ./certify run --suites ./testsuites --results /persist/results --run-id reboot -j 1 --quiet --destructive \
    --only 'system.watchdog-reset' 'system.crash-dump' --param dump_dir=/persist/crash
else
  ./certify run --resume --results /persist/results --quiet
fi
echo "certify run exit $?"
cp /persist/results/reboot/results.json /mnt/host/results.json
mkdir -p /mnt/host/logs && cp -r /persist/results/reboot/logs/. /mnt/host/logs/
cp /persist/boots.log /mnt/host/boots.log
umount /persist
exit 0
GUEST
if [ "$EXPECT_CRASH" = pass ]; then
  cp "$P/run.sh" "$WORK/capture/lab/cmd"
  ( cd "$WORK/capture" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 ) | gzip -1 > "$WORK/capture.cpio.gz"
  cat "$CACHE/initramfs.cpio.gz" "$WORK/capture.cpio.gz" > "$P/capture.img"
  FILES="$FILES $P/capture.img"
fi
# -action reboot=reset: a guest reset restarts the guest instead of ending QEMU
# (runlab.sh passes -no-reboot; the later -action wins).
( cd "$P" && flock /tmp/certify-lab.lock env LAB_ACCEL=tcg LAB_TIMEOUT=${LAB_TIMEOUT:-1500} LAB_SHARE="$WORK/share" \
    LAB_CMDLINE="crashkernel=384M" LAB_QEMU_EXTRA="-device i6300esb -action reboot=reset,watchdog=reset" \
    LAB_FILES="$FILES" "$LAB/runlab.sh" 'sh ./run.sh' )
rc=$?
[ -s "$WORK/share/boots.log" ] && { echo "--- guest boots"; cat "$WORK/share/boots.log"; }
[ $rc -eq 0 ] || { echo "lab-suites-reboot: the lab run failed (exit $rc)"; exit 1; }
[ -s "$WORK/share/results.json" ] || { echo "lab-suites-reboot: the guest wrote no results.json"; exit 1; }
python3 - "$WORK/share/results.json" "$WORK/share/logs" "$EXPECT_CRASH" <<'PY'
import json, os, sys
results, logs, expect_crash = sys.argv[1:4]
jobs = {j["test"]: j for j in json.load(open(results))["jobs"]}
want = {"system.watchdog-reset": "pass", "system.crash-dump": expect_crash}
bad = 0
for test, w in want.items():
    j = jobs.get(test, {})
    g = j.get("status", "(not run)")
    print(f"{'ok ' if g == w else 'BAD'} {test}: expected {w}, got {g} (attempts {j.get('attempts')}) - {j.get('reason', '')}")
    for m in ("reset_after_s", "bootstatus", "dump_bytes"):
        if m in j.get("metrics", {}):
            print(f"    {m} = {j['metrics'][m]}")
    if g != w:
        bad += 1
        out = os.path.join(logs, j.get("id", test), "stdout.log")
        if os.path.exists(out):
            print("    " + open(out, errors="replace").read()[-1500:].replace("\n", "\n    "))
# Each passing job ran twice: the trigger, then the check after the reboot.
for test, w in want.items():
    if w == "pass" and jobs.get(test, {}).get("attempts") != 2:
        print(f"BAD {test}: {jobs.get(test, {}).get('attempts')} attempts, expected 2 (trigger, then post-reboot check)")
        bad += 1
sys.exit(1 if bad else 0)
PY
