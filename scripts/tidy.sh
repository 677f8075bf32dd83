#!/usr/bin/env bash
# clang-tidy over our code (src/, fakes/, harness/) with the checked-in .clang-tidy; exit 1
# on any finding. Uses the clang asan build's compile database (configured here, not built:
# generated sources are skipped). About 10 minutes on 2 cores; not part of CI's time budget.
# Usage: scripts/tidy.sh [FILE_REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan >/dev/null
files=${1:-'^(?!.*/build/).*/(src|fakes|harness)/.*\.cpp$'}
# run-clang-tidy forces colour: strip it. Findings inside system headers (Boost's coroutine
# frames trip the static analyser) are not ours and are left out.
run-clang-tidy -quiet -j "$(nproc)" -p build/asan "$files" 2>/dev/null | sed -E 's/\x1b\[[0-9;]*m//g' |
  tee build/tidy.log | grep -E '^/.*: (warning|error):' | grep -v '^/usr/' | sort -u > build/tidy-findings.txt || true
count=$(wc -l < build/tidy-findings.txt)
if [ "$count" -ne 0 ]; then
  cat build/tidy-findings.txt
  echo "tidy: $count findings (full output: build/tidy.log)" >&2
  exit 1
fi
echo "tidy: clean ($(grep -c '^clang-tidy' build/tidy.log || true) files)"
