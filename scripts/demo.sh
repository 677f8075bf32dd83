#!/usr/bin/env bash
# The main job: set up, build a release binary, and run the shipped scenario suite with
# `mailharness run` against the embedded fake Exchange Online (no other set-up needed). The
# report set lands in reports/ (report.json, junit.xml, report.html, report.md). Exit code:
# 0 every check passed, 1 a check failed, 2 configuration error, 3 infrastructure failure.
# Extra arguments go to `mailharness run` (e.g. --tag smoke).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/harness/mailharness run --out reports "$@"
