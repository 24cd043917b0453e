#!/usr/bin/env bash
# Every figure of the README's Performance section in one go: builds the
# benchmarks, runs each SIMLOOP_BENCH_REPS times (default 5, interleaved) and prints the
# medians (Google Benchmark's items_per_second is per CPU second of the
# benchmark thread unless the line says real_time). The memory figures run one
# benchmark per process, so that each peak RSS is its own.
#
#   bash tools/bench/report.sh [build-dir]      (default build/release)
#
# Run it on an otherwise idle machine: explore_bench measures real time with
# worker processes, and every CPU-time figure suffers from a busy neighbour.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
build=${1:-build/release}
reps=${SIMLOOP_BENCH_REPS:-5}
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"${SIMLOOP_BUILD_JOBS:-2}" \
  --target core_bench detectors_bench explore_bench memory_bench memory_bench_asio net_bench
bench=$build/tools/bench
# medians N command...: the medians of N repetitions of every benchmark.
medians() {
  local n=$1
  shift
  # Interleaved at random, so that a noisy minute on a shared machine spreads
  # over every benchmark instead of falling on the few that ran then.
  "$@" --benchmark_repetitions="$n" --benchmark_enable_random_interleaving=true \
    --benchmark_report_aggregates_only=true 2>/dev/null | grep '_median'
}

echo "== load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "== core_bench: steps vs io_context, small runs, timers, trace"
medians "$reps" "$bench/core_bench"
echo "== detectors_bench: every default on vs every detector off, one at a time"
medians "$reps" "$bench/detectors_bench"
echo "== explore_bench: jobs 1 vs 2, real time"
medians "$reps" "$bench/explore_bench"
echo "== memory: 1M suspended tasks (one process per figure)"
for filter in 'Suspended_Timer/1000000/' 'Suspended_Event/1000000/'; do
  "$bench/memory_bench" --benchmark_filter="$filter" 2>/dev/null | grep '^Suspended'
done
"$bench/memory_bench_asio" --benchmark_filter='/1000000/' 2>/dev/null | grep '^Suspended'
echo "== net_bench: echo connections, idle connection memory (3 repetitions)"
medians 3 "$bench/net_bench"
