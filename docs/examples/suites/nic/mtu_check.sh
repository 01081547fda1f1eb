#!/bin/sh
# lab-nic.mtu: the device's MTU must lie within [CERTIFY_PARAM_MIN_MTU,
# CERTIFY_PARAM_MAX_MTU]. Reads through CERTIFY_SYSROOT so it works on a
# recorded machine as on a live one. Exit 0 pass, 1 fail, 77 skip.
set -u
# The device's inventory entry: {"id", "class", "props": {"ifname", "mtu",
# "virtual", ...}, ...}. Virtual interfaces (loopback, bridges) are not
# hardware under test.
eval "$(printf '%s' "$CERTIFY_DEVICE_JSON" | python3 -c '
import json, shlex, sys
p = json.load(sys.stdin).get("props", {})
print("iface=" + shlex.quote(p.get("ifname", "")))
print("virtual=" + ("1" if p.get("virtual") else "0"))')"
if [ "$virtual" = 1 ]; then
  echo "$iface is a virtual interface" >&2
  exit 77
fi
if [ -z "$iface" ]; then
  echo "no network interface on $CERTIFY_DEVICE" >&2
  exit 77
fi
mtu_file="$CERTIFY_SYSROOT/sys/class/net/$iface/mtu"
if ! read -r mtu < "$mtu_file"; then
  echo "cannot read $mtu_file" >&2
  exit 2
fi
min=$CERTIFY_PARAM_MIN_MTU max=$CERTIFY_PARAM_MAX_MTU
status=pass reason=""
if [ "$mtu" -lt "$min" ] || [ "$mtu" -gt "$max" ]; then
  status=fail reason="$iface MTU $mtu is outside $min..$max"
fi
printf '{"status":"%s","reason":"%s","metrics":{"mtu":%s}}\n' \
  "$status" "$reason" "$mtu" > "$CERTIFY_WORKDIR/result.json"
echo "$iface: MTU $mtu (allowed $min..$max)"
[ "$status" = pass ]
