#!/usr/bin/env python3
"""`mailharness login` getting its own token (a flow, a profile file, a fake's ready file) against
`mailharness fake` in a separate process: every protocol passes with a token phase in the table;
a refused credential fails in phase token with exit 1 and the AADSTS code, never the secret; an
unreachable authority is exit 3; profile mistakes are exit 2 naming file, line, column and key,
and a profile holding a secret is refused.
Usage: test_login_flow.py path/to/mailharness"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from fake_process import FakeExchange  # noqa: E402

MH = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def login(args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update(env_extra or {})
    p = subprocess.run([MH, "login", "--no-cache", *args], capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


with FakeExchange(MH) as fx:
    r = fx.ready
    tmp = tempfile.mkdtemp(prefix="mh-login-flow-")
    ready = fx.ready_path
    mailbox = r["demo"]["mailboxes"][0]
    app = r["demo"]["app"]
    secret = app["client_secret"]

    # 1. The ready file as a profile: endpoints, CA, demo app.
    for proto in ("imap", "pop3", "smtp"):
        rc, out, err = login(["--profile", ready, "--protocol", proto, "--user", mailbox])
        check(rc == 0 and "verdict: PASS" in out, "%s via the ready file: PASS (%s)" % (proto, err.strip()))
        check(any(l.strip().startswith("token ") for l in out.splitlines()), "%s: the table has a token phase" % proto)
        check(secret not in out + err and "eyJ" not in out + err, "%s: no secret or token in the output" % proto)

    # 2. Explicit flow options with the secret in the environment, JSON output.
    imap = r["endpoints"]["imap"]
    flow = ["--flow", "client-credentials", "--authority", r["authority"], "--client-id", app["client_id"],
            "--client-secret-env", "SECRET", "--ca-file", r["ca_file"], "--protocol", "imap",
            "--host", imap["host"], "--port", str(imap["port"]), "--user", mailbox, "--json"]
    rc, out, err = login(flow, {"SECRET": secret})
    j = json.loads(out) if rc == 0 else {}
    check(rc == 0 and j.get("verdict") == "pass", "explicit flow: pass (%s)" % err.strip())
    check([p["phase"] for p in j.get("phases", [])][:1] == ["token"], "JSON phases start with token")

    # 3. A refused secret: phase token, exit 1, AADSTS code, no secret echoed.
    rc, out, err = login(flow, {"SECRET": "not-the-secret"})
    check(rc == 1 and "AADSTS7000215" in err, "wrong secret: exit 1 with AADSTS7000215 (%d: %s)" % (rc, err.strip()))
    check("not-the-secret" not in out + err, "the wrong secret is not echoed")

    # 4. Unreachable authority: exit 3.
    bad = list(flow)
    bad[bad.index("--authority") + 1] = "https://127.0.0.1:9/" + r["tenant_id"]
    rc, out, err = login(bad + ["--token-timeout", "5"], {"SECRET": secret})
    check(rc == 3, "unreachable authority: exit 3 (%d: %s)" % (rc, err.strip()))

    # 5. A profile file: relative paths, endpoints, secret named by variable.
    prof = os.path.join(tmp, "contoso.json")
    with open(prof, "w") as f:
        f.write("""// a profile for the fake
{
  "format": "mailharness.profile/1",
  "authority": "%s",
  "client_id": "%s",
  "flow": "client-credentials",
  "credential": {"secret_env": "MY_SECRET"},
  "ca_file": "%s",
  "imap": {"host": "%s", "port": %d, "tls": "implicit"}
}
""" % (r["authority"], app["client_id"], os.path.relpath(r["ca_file"], tmp), imap["host"], imap["port"]))
    rc, out, err = login(["--profile", prof, "--protocol", "imap", "--user", mailbox], {"MY_SECRET": secret})
    check(rc == 0 and "verdict: PASS" in out, "profile file: PASS (%s)" % err.strip())
    rc, out, err = login(["--profile", prof, "--protocol", "imap", "--user", mailbox])
    check(rc == 2 and "MY_SECRET" in err, "profile secret variable unset: exit 2 naming it (%s)" % err.strip())

    # 6. Profile mistakes: unknown key with a suggestion, a secret in the file, a bad cloud.
    cases = [
        ('{"format": "mailharness.profile/1",\n "clientid": "x"}', ["bad0.json:2:", "clientid", "client_id"]),
        ('{"format": "mailharness.profile/1",\n "credential": {"client_secret": "s3cr3t"}}',
         ["/credential", "never hold secrets"]),
        ('{"format": "mailharness.profile/1", "cloud": "worldwid"}', ["worldwide"]),
        ('{"format": "mailharness.profile/1", "imap": {"port": 99999}}', ["/imap/port"]),
        ('{"format": ', ["bad4.json:1:"]),
    ]
    for i, (text, needles) in enumerate(cases):
        path = os.path.join(tmp, "bad%d.json" % i)
        with open(path, "w") as f:
            f.write(text)
        rc, out, err = login(["--profile", path, "--protocol", "imap", "--user", mailbox])
        ok = rc == 2 and path in err and all(n in err for n in needles) and "s3cr3t" not in err
        check(ok, "bad profile %d: exit 2 naming %s (%s)" % (i, needles, err.strip()))

    # 7. Built-in clouds resolve (no network needed to print the error for a missing tenant).
    rc, out, err = login(["--profile", "usgov-gcchigh", "--protocol", "imap", "--user", mailbox,
                          "--flow", "client-credentials"])
    check(rc == 2 and "AZURE_TENANT_ID" in err and "not verified" in err,
          "built-in national cloud: notes and a clear missing-tenant error (%s)" % err.strip())

sys.exit(1 if failures else 0)
