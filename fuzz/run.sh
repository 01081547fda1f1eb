#!/usr/bin/env bash
# Build the libFuzzer targets with clang (build-fuzz/) and run one.
#   fuzz/run.sh NAME SECONDS     e.g. fuzz/run.sh smbios 600
# New interesting inputs are kept in fuzz/corpus/NAME (commit the small ones).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: fuzz/run.sh NAME SECONDS}; secs=${2:-60}
if [ ! -d build-fuzz ]; then
  CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "fuzz/${name}_fuzzer"
mkdir -p "fuzz/corpus/$name"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build-fuzz/fuzz/"${name}_fuzzer" -max_total_time="$secs" -print_final_stats=1 \
  -artifact_prefix="$work/" "$work" "fuzz/corpus/$name" 2>&1 | tail -25
