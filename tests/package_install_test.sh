#!/usr/bin/env bash
# Builds the .deb and .rpm packages from this source tree, installs each into
# a throwaway root (dpkg --root / rpm --root) and runs the installed certify
# from there: --version, probe on a recorded sysroot, man pages, completion,
# the installed data (hwdata, schemas, suites) found relative to the binary.
# Exit 77 (skip) only when the packaging tools are absent.
set -uo pipefail
src=${1:?source dir}
# Two full package builds take minutes: always in CI, on request elsewhere.
if [ -z "${CI:-}" ] && [ -z "${CERTIFY_SLOW_TESTS:-}" ]; then
  echo "SKIP: package builds run in CI (CI=true) or with CERTIFY_SLOW_TESTS=1"; exit 77
fi
for t in dpkg-buildpackage dh rpmbuild rpm dpkg; do
  command -v "$t" >/dev/null || { echo "SKIP: $t not installed (scripts/bootstrap installs it)"; exit 77; }
done
work=$(mktemp -d /tmp/certify-pkgtest.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" > "$work/last.log" 2>&1; then echo "ok   $what"; else echo "FAIL $what"; sed 's/^/     /' "$work/last.log" | tail -20; fail=1; fi
}

"$src/packaging/build-packages.sh" "$work/out" all || { echo "FAIL package build"; exit 1; }
deb=$(ls "$work"/out/certify_*.deb); certdb_deb=$(ls "$work"/out/certdb_*.deb)
rpmf=$(ls "$work"/out/certify-[0-9]*.rpm); certdb_rpm=$(ls "$work"/out/certdb-[0-9]*.rpm)

installed_checks() {  # installed_checks ROOT LABEL
  local root=$1 label=$2
  check "$label: certify --version" sh -c "'$root/usr/bin/certify' --version | grep -qx 'certify 0.1.0'"
  check "$label: certify probe on a recorded sysroot gives a valid inventory" sh -c \
    "'$root/usr/bin/certify' probe --sysroot '$src/tests/fixtures/vm-virtio' > '$work/inv.json' &&
     python3 '$src/tests/tools/validate_schema.py' '$root/usr/share/certify/schemas/inventory.schema.json' '$work/inv.json'"
  check "$label: certify probe --format table" sh -c \
    "'$root/usr/bin/certify' probe --sysroot '$src/tests/fixtures/vm-virtio' --format table | grep -qE '^NIC \([1-9][0-9]*\)'"
  check "$label: certify(1) installed and renders" sh -c \
    "zcat -f '$root'/usr/share/man/man1/certify.1* | groff -man -Tutf8 -ww -z"
  check "$label: format man pages installed" sh -c \
    "ls '$root'/usr/share/man/man5/certify-suite.5* '$root'/usr/share/man/man5/certify-bundle.5*"
  check "$label: bash completion installed and loads" bash -c \
    "source '$root/usr/share/bash-completion/completions/certify' && complete -p certify"
  check "$label: zsh completion installed" test -s "$root/usr/share/zsh/vendor-completions/_certify"
  check "$label: schemas installed" test -s "$root/usr/share/certify/schemas/inventory.schema.json"
  # `certify run` and the built-in tests it starts are certify-run's, in libexec.
  mkdir -p "$work/suite-$label/self"
  printf '%s\n' '<suite schema_version="1" id="self" class="system">' \
    '<test id="self.echo" run="builtin:selftest.echo" per="once" timeout="60"><description>d</description></test>' \
    '</suite>' > "$work/suite-$label/self/suite.xml"
  check "$label: certify run starts certify-run from libexec, which runs a built-in test" sh -c \
    "'$root/usr/bin/certify' run --inventory '$work/inv.json' --suites '$work/suite-$label' --results '$work/runs-$label' -q &&
     grep -q '\"status\": \"pass\"' '$work'/runs-$label/*/results.json"
  check "$label: the installed binary finds its data next to itself" sh -c \
    "env -u CERTIFY_DATADIR '$root/usr/bin/certify' doctor --sysroot '$src/tests/fixtures/vm-virtio' --results '$work' --json > /dev/null; test \$? -le 1"
}

# ---- deb: dpkg --root into a fresh admin directory
droot="$work/deb-root"
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers"
: > "$droot/var/lib/dpkg/status"
check "deb: dpkg --root installs certify" dpkg --root="$droot" --force-depends --force-script-chrootless \
  --force-not-root --log=/dev/null -i "$deb"
check "deb: dpkg knows the package" sh -c "dpkg --root='$droot' -s certify | grep -q '^Status: install ok installed'"
installed_checks "$droot" deb
check "deb: certdb package carries the hardened unit and config" sh -c \
  "dpkg-deb -c '$certdb_deb' | grep -q 'lib/systemd/system/certdb.service' &&
   dpkg-deb -c '$certdb_deb' | grep -q 'etc/certdb/certdb.conf' &&
   dpkg-deb -e '$certdb_deb' '$work/certdb-control' && grep -q 'adduser --system' '$work/certdb-control/postinst'"
check "deb: dpkg --remove leaves no certify files" sh -c \
  "dpkg --root='$droot' --force-script-chrootless --force-not-root --log=/dev/null -r certify &&
   ! test -e '$droot/usr/bin/certify' && ! test -e '$droot/usr/share/certify/schemas'"

# ---- rpm: rpm --root with its own database
rroot="$work/rpm-root"
mkdir -p "$rroot"
check "rpm: rpm --root installs certify" sh -c \
  "rpm --root '$rroot' --initdb && rpm --root '$rroot' --nodeps --noscripts --nosignature -i '$rpmf'"
installed_checks "$rroot" rpm
check "rpm: certdb package has user creation and the hardened unit" sh -c \
  "rpm -qp --scripts '$certdb_rpm' 2>/dev/null | grep -q useradd &&
   rpm -qpl '$certdb_rpm' 2>/dev/null | grep -q certdb.service"

# ---- offline bundle: the packages plus their dependency closure in one tar
check "offline bundle holds certify, its libraries and an install script" sh -c \
  "'$src/packaging/offline-bundle.sh' '$work/offline.tar' --debs '$work/out' >/dev/null &&
   tar -tf '$work/offline.tar' | grep -q 'certify-offline/certify_0.1.0_amd64.deb' &&
   tar -tf '$work/offline.tar' | grep -q 'certify-offline/libpugixml1v5_' &&
   tar -tf '$work/offline.tar' | grep -q 'certify-offline/install.sh' &&
   tar -tf '$work/offline.tar' | grep -q 'certify-offline/SHA256SUMS'"

unit="$src/packaging/systemd/certdb.service"
for key in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes ProtectHome=yes User=certdb; do
  check "certdb.service has $key" grep -qx "$key" "$unit"
done
exit $fail
