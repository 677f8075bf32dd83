#!/usr/bin/env bash
# `cmake --install` puts the binary, scenarios, schema, man page and docs in the usual
# places, and the installed `mailharness run` works outside the source tree; `cpack -G DEB`
# makes a Debian package holding the same files.
# Usage: test_install.sh <build dir>
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/usr" >/dev/null
for f in bin/mailharness share/man/man1/mailharness.1 share/mailharness/reports/report.schema.json \
         share/mailharness/scenarios/FORMAT.md share/doc/mailharness/README.md share/mailharness/tenant/demo-tenant.json; do
  [ -e "$tmp/usr/$f" ] || { echo "FAIL installed tree lacks $f"; exit 1; }
done
echo "ok   installed tree has the binary, man page, schema, scenarios and docs"
cd "$tmp"  # outside the source tree
"$tmp/usr/bin/mailharness" run --tag smoke --quiet --out "$tmp/reports" --state-dir "$tmp/state" >"$tmp/run.log" 2>&1 ||
  { echo "FAIL installed mailharness run"; cat "$tmp/run.log"; exit 1; }
echo "ok   the installed mailharness run passes outside the source tree"
man -l "$tmp/usr/share/man/man1/mailharness.1" >/dev/null 2>&1 || groff -man -Tutf8 "$tmp/usr/share/man/man1/mailharness.1" >/dev/null 2>&1 ||
  echo "note: neither man nor groff is installed; the man page was not rendered"
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
  (cd "$tmp" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >/dev/null)
  deb=$(ls "$tmp"/pkg/*.deb)
  listing=$(dpkg-deb -c "$deb")
  grep -q './usr/bin/mailharness$' <<<"$listing" || { echo "FAIL package lacks usr/bin/mailharness"; exit 1; }
  grep -q 'usr/share/man/man1/mailharness.1' <<<"$listing" || { echo "FAIL package lacks the man page"; exit 1; }
  dpkg-deb -f "$deb" Depends | grep -q libcurl4 || { echo "FAIL package does not depend on libcurl4"; exit 1; }
  echo "ok   cpack -G DEB: $(basename "$deb")"
fi
