#!/usr/bin/env bash
# Build the libFuzzer targets with clang (build-fuzz/) and run one.
#   fuzz/run.sh NAME SECONDS     e.g. fuzz/run.sh smbios 600
# Seeds come from fuzz/corpus/NAME; new inputs go to a temporary directory;
# crash, leak and timeout inputs in fuzz/artifacts/NAME/ (kept, not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: fuzz/run.sh NAME SECONDS}; secs=${2:-60}
if [ ! -d build-fuzz ]; then
  CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz "fuzz/${name}_fuzzer"
mkdir -p "fuzz/corpus/$name" "fuzz/artifacts/$name"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./build-fuzz/fuzz/"${name}_fuzzer" -max_total_time="$secs" -print_final_stats=1 \
  -artifact_prefix="fuzz/artifacts/$name/" "$work" "fuzz/corpus/$name" 2>&1 | tail -25
