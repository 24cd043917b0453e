#!/usr/bin/env bash
# Executions to the first failure of the depth-3 ordering bug under libFuzzer:
# the median over N trials (libFuzzer -seed=1..N), from an empty corpus.
# Needs the clang fuzz build: cmake -S . -B build/fuzz -DCMAKE_CXX_COMPILER=clang++-14 \
#   -DCMAKE_BUILD_TYPE=Release -DSIMLOOP_FUZZ=ON && ninja -C build/fuzz ordering_fuzz
set -euo pipefail
fuzzer=${1:-build/fuzz/fuzz/ordering_fuzz}
trials=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
counts=()
for seed in $(seq 1 "$trials"); do
  mkdir -p "$work/empty-$seed"
  n=$("$fuzzer" -seed="$seed" -runs=10000000 -artifact_prefix="$work/" "$work/empty-$seed" 2>&1 \
        | sed -n 's/.*found at execution #\([0-9]*\).*/\1/p' | head -1 || true)
  counts+=("${n:-none}")
done
printf '%s\n' "${counts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "libFuzzer  median %s  min %s  max %s  (%d trials)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'
