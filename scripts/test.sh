#!/usr/bin/env bash
# Set up, build and run the whole test suite (unit, integration, interop with Dovecot).
# This is the README's test command and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
preset=${MH_PRESET:-dev}
# A build folder configured with another compiler (the asan preset was GCC before it became
# clang) makes CMake drop its cache mid-configure and lose the preset's variables: configure
# again in that case so they apply.
if ! out=$(cmake --preset "$preset" 2>&1); then echo "$out"; exit 1; fi
echo "$out" | tail -n 3
if grep -q 'cache to be deleted' <<<"$out"; then cmake --preset "$preset" >/dev/null; fi
cmake --build --preset "$preset"
ctest --preset "$preset"
