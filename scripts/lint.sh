#!/usr/bin/env bash
# Source checks that the compiler cannot make. Exit 1 with the offending lines.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# GCC 12 miscompiles co_await inside a plain condition expression (see src/net/asio.hpp).
if grep -rnE '(if|while) \((!|[^;()]*(&&|\|\|) *)?\(?co_await ' --include='*.cpp' --include='*.hpp' \
     src fakes harness tests | grep -vE '^[^:]+:[0-9]+: *//'; then
  echo "lint: co_await inside an if/while condition: await into a variable first" >&2
  status=1
fi
exit $status
