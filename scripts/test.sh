#!/usr/bin/env bash
# Set up, build and run the whole test suite (unit, integration, interop with Dovecot).
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
preset=${MH_PRESET:-dev}
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
