#!/usr/bin/env bash
# The main job: set up, build a release binary and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release
cmake --build --preset release
exec ./build/release/harness/mailharness login --help
