#!/usr/bin/env bash
# The main job: builds the bug zoo and explores every scenario, correct
# versions and mutants, printing what was found with replay lines.
# Extra arguments go to the runner (e.g. --only pagination/offset_paging).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/tools/setup.sh"
build="$repo/build/release"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
export CCACHE_SLOPPINESS=pch_defines,time_macros   # see tools/test.sh
cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target bug_zoo >/dev/null
exec "$build/tools/zoo/bug_zoo" "$@"
