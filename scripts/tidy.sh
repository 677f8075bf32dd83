#!/usr/bin/env bash
# clang-tidy over our code (src/, fakes/, harness/) with the checked-in .clang-tidy; exit 1
# on any finding. Uses the clang asan build's compile database (configured here, not built:
# generated sources are skipped). About 10 minutes on 2 cores; not part of CI's time budget.
# Usage: scripts/tidy.sh [FILE_REGEX]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset asan >/dev/null
files=${1:-'^(?!.*/build/).*/(src|fakes|harness)/.*\.cpp$'}
run-clang-tidy -quiet -j "$(nproc)" -p build/asan "$files" 2>/dev/null | tee build/tidy.log |
  grep -E '^/.*: (warning|error):' | sort -u > build/tidy-findings.txt || true
count=$(wc -l < build/tidy-findings.txt)
if [ "$count" -ne 0 ]; then
  cat build/tidy-findings.txt
  echo "tidy: $count findings (full output: build/tidy.log)" >&2
  exit 1
fi
echo "tidy: clean ($(grep -c '^clang-tidy' build/tidy.log || true) files)"
