#!/usr/bin/env bash
# fuzz.<name>.run: a short, deterministic libFuzzer run (fixed seed, fixed number of
# executions, no time limit). New inputs go to a scratch folder in the build tree, never into
# fuzz/corpus; a crash leaves its input in that folder as crash-* and fails the test.
# Usage: run_short.sh FUZZER WORKDIR RUNS SEED_DIR...
set -euo pipefail
fuzzer=$1 work=$2 runs=$3
shift 3
rm -rf "$work"
mkdir -p "$work/new"
exec "$fuzzer" -seed=1 -runs="$runs" -max_len=65536 -timeout=25 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/new" "$@"
