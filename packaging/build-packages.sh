#!/usr/bin/env bash
# Build the distribution packages from the current source tree.
#   packaging/build-packages.sh OUTDIR [deb|rpm|all]
# deb: dpkg-buildpackage (debhelper + meson); rpm: rpmbuild with the spec in
# packaging/rpm (on Debian with --nodeps, as the BuildRequires name Fedora/
# openEuler packages). Packages land in OUTDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:?usage: build-packages.sh OUTDIR [deb|rpm|all]}" && cd "$1" && pwd)
what=${2:-all}
version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$here/meson.build")
work=$(mktemp -d /tmp/certify-pkg.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Source tree without build directories or VCS data.
src="$work/certify-$version"
mkdir -p "$src"
tar -C "$here" --exclude='./build*' --exclude='./.git' --exclude='./results' -cf - . | tar -C "$src" -xf -
jobs=${CERTIFY_PKG_JOBS:-2}

if [ "$what" = deb ] || [ "$what" = all ]; then
  cp -r "$here/packaging/deb/debian" "$src/debian"
  ( cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs nocheck" dpkg-buildpackage -b -us -uc ) > "$out/deb-build.log" 2>&1 ||
    { tail -40 "$out/deb-build.log" >&2; exit 1; }
  mv "$work"/*.deb "$out/"
  rm -rf "$src/debian" "$src/obj-"*
fi

if [ "$what" = rpm ] || [ "$what" = all ]; then
  top="$work/rpmbuild"
  mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
  tar -C "$work" -czf "$top/SOURCES/certify-$version.tar.gz" "certify-$version"
  rpmbuild -bb --nodeps --define "_topdir $top" --define "_smp_mflags -j$jobs" \
    --define "debug_package %{nil}" "$here/packaging/rpm/certify.spec" > "$out/rpm-build.log" 2>&1 ||
    { tail -40 "$out/rpm-build.log" >&2; exit 1; }
  find "$top/RPMS" -name '*.rpm' -exec mv {} "$out/" \;
fi
ls -1 "$out" | grep -E '\.(deb|rpm)$'
