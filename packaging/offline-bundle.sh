#!/usr/bin/env bash
# One file for an offline lab: certify's packages plus every runtime
# dependency they pull in, with an install script.
#   packaging/offline-bundle.sh OUT.tar [--debs DIR]
# Without --debs the packages are built first (packaging/build-packages.sh).
# On the lab machine:  tar xf OUT.tar && cd certify-offline && sudo ./install.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: offline-bundle.sh OUT.tar [--debs DIR]}
debs=""
if [ "${2:-}" = --debs ]; then debs=$(cd "${3:?--debs needs a directory}" && pwd); fi
work=$(mktemp -d /tmp/certify-offline.XXXXXX)
trap 'rm -rf "$work"' EXIT
dir="$work/certify-offline"
mkdir -p "$dir"
if [ -z "$debs" ]; then
  "$here/packaging/build-packages.sh" "$work/built" deb >/dev/null
  debs="$work/built"
fi
cp "$debs"/certify_*.deb "$debs"/certdb_*.deb "$dir/"

# Runtime dependency closure (first alternative of each, real packages only).
roots=$(for f in "$dir"/*.deb; do dpkg-deb -f "$f" Depends; done |
  tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u)
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $roots 2>/dev/null | grep -E '^[a-z0-9]' | sort -u)
# One apt call for the whole closure; package by package only if that fails
# (a virtual or locally built name in the closure has no candidate).
( cd "$dir" && apt-get download -q $closure >/dev/null 2>&1 || for p in $closure; do
    apt-get download -q "$p" >/dev/null 2>&1 || echo "note: $p has no downloadable candidate (virtual or local)" >&2
  done )
cat > "$dir/install.sh" <<'EOS'
#!/bin/sh
# Installs certify (and certdb) with their dependencies from this directory only.
set -e
cd "$(dirname "$0")"
dpkg -i --skip-same-version ./*.deb
EOS
chmod +x "$dir/install.sh"
( cd "$dir" && sha256sum ./*.deb > SHA256SUMS )
tar -C "$work" -cf "$out" certify-offline
echo "$out: $(ls "$dir"/*.deb | wc -l) packages"
