#!/usr/bin/env bash
# The main job (until the scenario runner lands): set up, build a release binary, start the
# fake Exchange Online on loopback, get an app-only token from its identity platform with
# the demo app, and log in over IMAP, POP3 and SMTP with `mailharness login`, printing each
# phase table. Exits 0 when all three logins pass.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
mh=./build/release/harness/mailharness

work=$(mktemp -d)
trap 'kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$mh" fake --state-dir "$work/state" --ready-file "$work/ready.json" &
fake_pid=$!
for _ in $(seq 1 300); do [ -s "$work/ready.json" ] && break; sleep 0.05; done
[ -s "$work/ready.json" ] || { echo "demo: the fake did not become ready" >&2; exit 3; }

field() { python3 -c "import json,sys; d=json.load(open('$work/ready.json')); print(eval('d' + sys.argv[1]))" "$1"; }
ca=$(field '["ca_file"]')
token=$(curl -sS --cacert "$ca" "$(field '["token_endpoint"]')" \
  --data-urlencode "client_id=$(field '["demo"]["app"]["client_id"]')" \
  --data-urlencode "client_secret=$(field '["demo"]["app"]["client_secret"]')" \
  --data-urlencode "scope=$(field '["demo"]["app"]["scope"]')" \
  --data-urlencode "grant_type=client_credentials" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export MH_DEMO_TOKEN=$token
user=$(field '["demo"]["mailboxes"][0]')
rc=0
for proto in imap pop3 smtp; do
  echo
  "$mh" login --protocol "$proto" --host localhost --port "$(field "[\"endpoints\"][\"$proto\"][\"port\"]")" \
    --user "$user" --token-env MH_DEMO_TOKEN --ca-file "$ca" || rc=1
done
exit $rc
