#!/usr/bin/env bash
# Test set-up for the software tests: real Debian packages fetched with
# apt-get download (the only download, through apt) and crafted good and bad
# packages, cached in OUTDIR (build/test-packages). Idempotent: a stamp file
# marks a complete set.
#   tests/tools/make-test-packages.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-test-packages.sh OUTDIR}
stamp="$out/.complete-v1"
[ -e "$stamp" ] && exit 0
mkdir -p "$out/real" "$out/crafted"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Real packages from Debian's archive: a program (hello), a shared library
# (libzstd1) and a program using several libraries (zstd).
( cd "$out/real" && apt-get download hello libzstd1 zstd >/dev/null 2>"$work/apt.err" ) || {
  cat "$work/apt.err" >&2; echo "apt-get download failed" >&2; exit 1; }
hello_deb=$(ls "$out"/real/hello_*.deb)
dpkg-deb -x "$hello_deb" "$work/hello"
hello_bin="$work/hello/usr/bin/hello"

# build_deb NAME DIR: DIR holds DEBIAN/control (+scripts) and the payload.
build_deb() { dpkg-deb --root-owner-group -Zxz --build "$2" "$out/crafted/$1.deb" >/dev/null; }
control() {  # control DIR NAME ARCH [extra fields...]
  local dir=$1 name=$2 arch=$3; shift 3
  mkdir -p "$dir/DEBIAN"
  { echo "Package: $name"; echo "Version: 1.0-1"; echo "Architecture: $arch"
    echo "Maintainer: Certify Tests <tests@example.org>"; echo "Depends: libc6 (>= 2.34)"
    for f in "$@"; do echo "$f"; done
    echo "Description: certify test package"; echo " Crafted by tests/tools/make-test-packages.sh."; } > "$dir/DEBIAN/control"
}
payload() { mkdir -p "$1/usr/bin"; cp "$2" "$1/usr/bin/$3"; chmod 755 "$1/usr/bin/$3"; }

# good: SPDX License field, hello's binary.
d=$work/good; control "$d" certify-good amd64 "License: MIT OR Apache-2.0"; payload "$d" "$hello_bin" certify-good
build_deb good "$d"
# missing licence: no License field, no copyright file.
d=$work/nolicense; control "$d" certify-nolicense amd64; payload "$d" "$hello_bin" certify-nolicense
build_deb nolicense "$d"
# invalid licence expression (Fedora-style legacy name).
d=$work/badlicense; control "$d" certify-badlicense amd64 "License: GPLv2+ and (MIT or"; payload "$d" "$hello_bin" certify-badlicense
build_deb badlicense "$d"
# unresolved symbol version: hello's GLIBC_2.34 need renamed to GLIBC_2.99
# (same length, so the ELF layout is unchanged).
d=$work/badsymver; control "$d" certify-badsymver amd64 "License: MIT"; payload "$d" "$hello_bin" certify-badsymver
python3 - "$d/usr/bin/certify-badsymver" <<'PY'
import sys
p = sys.argv[1]; b = open(p, 'rb').read()
assert b.count(b'GLIBC_2.34\0') == 1, 'hello changed: expected one GLIBC_2.34'
open(p, 'wb').write(b.replace(b'GLIBC_2.34\0', b'GLIBC_2.99\0'))
PY
build_deb badsymver "$d"
# missing library and an unsatisfiable dependency.
d=$work/baddeps; control "$d" certify-baddeps amd64 "License: MIT" "Pre-Depends: certify-no-such-package (>= 1)"
payload "$d" "$hello_bin" certify-baddeps
python3 - "$d/usr/bin/certify-baddeps" <<'PY'
import sys
p = sys.argv[1]; b = open(p, 'rb').read()
assert b.count(b'libc.so.6\0') >= 1
open(p, 'wb').write(b.replace(b'libc.so.6\0', b'libq.so.6\0'))
PY
build_deb baddeps "$d"
# postinst that leaves files behind after purge.
d=$work/leftover; control "$d" certify-leftover amd64 "License: MIT"; payload "$d" "$hello_bin" certify-leftover
printf '#!/bin/sh\nset -e\nmkdir -p /var/lib/certify-leftover\necho state > /var/lib/certify-leftover/state\necho x > /etc/certify-leftover.conf\n' > "$d/DEBIAN/postinst"
printf '#!/bin/sh\nset -e\nexit 0\n' > "$d/DEBIAN/postrm"
chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/postrm"
build_deb leftover "$d"
# clean maintainer scripts: postrm removes what postinst made.
d=$work/clean; control "$d" certify-clean amd64 "License: MIT"; payload "$d" "$hello_bin" certify-clean
printf '#!/bin/sh\nset -e\nmkdir -p /var/lib/certify-clean\necho state > /var/lib/certify-clean/state\n' > "$d/DEBIAN/postinst"
printf '#!/bin/sh\nset -e\nif [ "$1" = purge ]; then rm -rf /var/lib/certify-clean; fi\n' > "$d/DEBIAN/postrm"
chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/postrm"
build_deb clean "$d"
# another architecture: Architecture arm64 and an ELF whose e_machine says
# AArch64 (183).
d=$work/otherarch; control "$d" certify-otherarch arm64 "License: MIT"; payload "$d" "$hello_bin" certify-otherarch
python3 - "$d/usr/bin/certify-otherarch" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
b[18:20] = (183).to_bytes(2, 'little')
open(p, 'wb').write(bytes(b))
PY
build_deb otherarch "$d"
# truncated package and a non-package.
head -c 3000 "$hello_deb" > "$out/crafted/truncated.deb"
echo "this is not a package" > "$out/crafted/notapackage.deb"

# A small rpm built with rpmbuild (Debian's rpm package).
if command -v rpmbuild >/dev/null; then
  top=$work/rpm; mkdir -p "$top/SOURCES" "$top/SPECS"
  cp "$hello_bin" "$top/SOURCES/certify-rpmdemo"
  cat > "$top/SPECS/demo.spec" <<'SPEC'
Name: certify-rpmdemo
Version: 1.2
Release: 3
Summary: certify test rpm
License: MIT AND (BSD-2-Clause OR GPL-2.0-or-later)
Packager: Certify Tests <tests@example.org>
BuildArch: x86_64
Source0: certify-rpmdemo
Requires: /bin/sh
%description
Crafted by tests/tools/make-test-packages.sh.
%install
mkdir -p %{buildroot}/usr/bin
install -m 0755 %{SOURCE0} %{buildroot}/usr/bin/certify-rpmdemo
%post
mkdir -p /var/lib/certify-rpmdemo
%files
/usr/bin/certify-rpmdemo
SPEC
  rpmbuild --quiet --define "_topdir $top" --define "__strip /bin/true" --define "_build_id_links none" \
    --define "debug_package %{nil}" --nodeps -bb "$top/SPECS/demo.spec" >"$work/rpm.log" 2>&1 || {
    cat "$work/rpm.log" >&2; echo "rpmbuild failed" >&2; exit 1; }
  cp "$top"/RPMS/x86_64/certify-rpmdemo-1.2-3.x86_64.rpm "$out/crafted/rpmdemo.rpm"
  head -c 2000 "$out/crafted/rpmdemo.rpm" > "$out/crafted/truncated.rpm"
else
  echo "rpmbuild not found (apt package rpm)" >&2; exit 1
fi
touch "$stamp"
