#!/usr/bin/env bash
# Installs everything mailharness needs to build and test on Debian 12, from Debian
# packages only. Idempotent: runs `apt-get update` only when a package is missing.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build ccache pkg-config git
  # libraries
  libboost1.81-dev libboost-url1.81-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the asan preset (clang ASan+UBSan with libFuzzer targets) and scripts/tidy.sh
  clang libclang-rt-14-dev clang-tidy
  # real peers for interop tests
  openssl curl python3 python3-msal python3-jsonschema chromium dovecot-imapd dovecot-pop3d dovecot-submissiond
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package post-install scripts must not start system daemons (Dovecot) on port 143/993.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all packages present"
