#!/usr/bin/env bash
# Long fuzz runs (fuzz/README.md): builds the libFuzzer targets (asan preset, clang) and runs
# each for SECONDS (default 600) with a persistent corpus in build/fuzz-corpus/<name>, seeded
# from fuzz/corpus/<name>. Crashes land in build/fuzz-artifacts/<name>/ and fail the script.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]    (targets: names of fuzz/fuzz_*.cpp)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/fuzz_*.cpp; do n=$(basename "$f" .cpp); targets+=("${n#fuzz_}"); done
fi
cmake --preset asan >/dev/null
cmake --build --preset asan --target "${targets[@]/#/mh_fuzz_}"
status=0
for t in "${targets[@]}"; do
  corpus=build/fuzz-corpus/$t art=build/fuzz-artifacts/$t
  mkdir -p "$corpus" "$art"
  extra=(fuzz/corpus/$t)
  [ -d fuzz/crashers/$t ] && extra+=(fuzz/crashers/$t)
  echo "== $t: ${secs}s"
  if ! build/asan/fuzz/mh_fuzz_$t -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$art/" "$corpus" "${extra[@]}" 2>"$art/log.txt"; then
    echo "== $t: FAILED, see $art/ (log.txt and the crash-* input)" >&2
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$art/log.txt" || true
done
exit $status
