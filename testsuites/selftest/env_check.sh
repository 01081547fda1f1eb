#!/bin/sh
# selftest.env: checks the external-test environment contract.
for v in CERTIFY_DEVICE CERTIFY_DEVICE_JSON CERTIFY_WORKDIR CERTIFY_SYSROOT; do
  eval "val=\${$v:-}"
  if [ -z "$val" ]; then echo "missing $v" >&2; exit 1; fi
done
[ "${CERTIFY_PARAM_GREETING:-}" = hello ] || { echo "CERTIFY_PARAM_GREETING not passed" >&2; exit 1; }
printf '{"status":"pass","reason":"","metrics":{"env_vars":%s}}\n' "$(env | grep -c '^CERTIFY_')" \
  > "$CERTIFY_WORKDIR/result.json" || exit 2
echo "device=$CERTIFY_DEVICE sysroot=$CERTIFY_SYSROOT"
exit 0
