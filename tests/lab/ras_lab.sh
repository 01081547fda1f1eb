#!/usr/bin/env bash
# Lab test of the poison and ras suites: boots the virtual lab guest once
# (../shared/lab, TCG), runs `certify run` of both suites inside it with the
# results on a file system on a lab disk (file-backed poisoning needs
# page cache of a real disk), and checks each job's outcome and metrics.
# Skips (77) when the lab cache or QEMU is absent.
#   tests/lab/ras_lab.sh SOURCE_ROOT BUILD_ROOT
set -uo pipefail
SRC=$(cd "${1:?source root}" && pwd)
BUILD=$(cd "${2:?build root}" && pwd)
LAB=${LAB_DIR:-$SRC/../shared/lab}
CACHE=${LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certify-lab}
if [ ! -x "$LAB/runlab.sh" ] || [ ! -e "$CACHE/vmlinuz" ] || [ ! -e "$CACHE/initramfs.cpio.gz" ]; then
  echo "SKIP: no virtual lab (need $LAB/runlab.sh and $CACHE from mklab.sh)"; exit 77
fi
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 missing"; exit 77; }

TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/payload"
cp -a "$SRC/testsuites" "$SRC/hwdata" "$TMP/payload/"
# Only the two suites under test, so other suites' requirements stay out.
mkdir -p "$TMP/payload/suites"
mv "$TMP/payload/testsuites/poison" "$TMP/payload/testsuites/ras" "$TMP/payload/suites/"
cat > "$TMP/payload/guest.sh" <<'GUEST'
# Inside the guest: a disk file system for the results, then the run.
# ext4 (which mounts an ext2 layout) needs crc32c, which the lab initramfs
# lacks: it comes in with the payload from the host's copy of the kernel.
[ -f ./crc32c_generic.ko ] && insmod ./crc32c_generic.ko
modprobe ext4 2>/dev/null
results=/tmp/results
mkdir -p /mnt/disk
for b in nvme1n2 nvme1n1 nvme0n1; do
  [ -e /sys/class/block/$b/dev ] || continue
  # devtmpfs may lag behind the block layer: make the node from sysfs.
  [ -b /dev/$b ] || mknod /dev/$b b $(tr ':' ' ' < /sys/class/block/$b/dev)
  if mke2fs -F /dev/$b >/tmp/mkfs.log 2>&1 && mount -t ext4 /dev/$b /mnt/disk 2>/tmp/mount.log; then
    results=/mnt/disk/results; echo "results on /dev/$b (ext2 layout, ext4 driver)"; break
  fi
  echo "ext2 on /dev/$b: $(cat /tmp/mkfs.log /tmp/mount.log 2>/dev/null | tail -2)"
done
[ "$results" = /tmp/results ] && { echo "no disk file system: $(dmesg | grep -i ext4 | tail -2)"; }
# Corrected machine checks are polled; poll every second.
echo 1 > /sys/devices/system/machinecheck/machinecheck0/check_interval 2>/dev/null
export CERTIFY_DATADIR=/lab/payload
./certify run --suites ./suites --results "$results" --run-id lab --fresh --quiet -j 1
echo "certify run exit $?"
for f in "$results"/lab/logs/*/stdout.log; do
  echo "----- $f"; tail -n 40 "$f"
done
echo @@RESULTS@@
cat "$results/lab/results.json"
echo @@END@@
GUEST
cp "$BUILD/cli/certify" "$BUILD/cli/certify-run" "$BUILD/cli/certify-full" "$TMP/payload/"
extra=""
crc="/lib/modules/$(cat "$CACHE/kver" 2>/dev/null)/kernel/crypto/crc32c_generic.ko"
if [ -f "$crc" ]; then cp "$crc" "$TMP/payload/"; extra=crc32c_generic.ko
else echo "note: no $crc: no disk file system in the guest, poison.file-backed will skip"; export RAS_LAB_NO_DISK=1; fi
cd "$TMP/payload" || exit 2
LAB_ACCEL=${LAB_ACCEL:-tcg} LAB_TIMEOUT=${LAB_TIMEOUT:-420} LAB_FILES="certify certify-run certify-full suites hwdata guest.sh $extra" \
  flock /tmp/certify-lab.lock "$LAB/runlab.sh" 'sh ./guest.sh' > "$TMP/out" 2> "$TMP/err"
rc=$?
cat "$TMP/out"
tail -n 5 "$TMP/err"
[ $rc -eq 0 ] || { echo "FAIL: lab run exited $rc"; cat "$TMP/err"; exit 1; }
sed -n '/^@@RESULTS@@/,/^@@END@@/p' "$TMP/out" | sed '1d;$d' > "$TMP/results.json"
python3 "$SRC/tests/lab/check_ras_results.py" "$TMP/results.json"
