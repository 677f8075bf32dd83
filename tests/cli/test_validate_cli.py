#!/usr/bin/env python3
"""`mailharness validate` against `mailharness fake` run as a separate process and reached only
through a tenant profile (its endpoints, authority and CA), as a real tenant would be: every broken
app of the demo tenant is named with the right setup step on every protocol, the good app passes
everywhere, a multi-mailbox run gives mixed results grouped by step with the affected mailboxes,
shared mailboxes work, a failing token endpoint is explained; bad input exits 2 naming the file and
line or the variable, an unreachable authority exits 3; no secret in any output.
Usage: test_validate_cli.py path/to/mailharness path/to/demo-tenant.json"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from fake_process import FakeExchange  # noqa: E402

MH, TENANT = sys.argv[1], sys.argv[2]
failures = []
tmp = tempfile.mkdtemp(prefix="mh-validate-")
tenant = json.loads(re.sub(r"^\s*//.*$", "", open(TENANT).read(), flags=re.M))
apps = {a["key"]: a for a in tenant["apps"]}
D = "@" + tenant["domain"]


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def write(name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def validate(profile, mailboxes, secret, extra=(), env_name="APP_SECRET"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    if secret is not None:
        env[env_name] = secret
    out = os.path.join(tmp, "out-%d" % len(os.listdir(tmp)))
    p = subprocess.run([MH, "validate", "--profile", profile, "--mailboxes", mailboxes, "--out", out,
                        "--no-cache", "--pace-ms", "0", *extra], capture_output=True, text=True, env=env, timeout=300)
    rep = None
    if os.path.exists(os.path.join(out, "report.json")):
        rep = json.load(open(os.path.join(out, "report.json")))
    return p.returncode, p.stdout, p.stderr, rep, out


def first_findings(rep):
    return {(r["mailbox"], r["protocol"]): (r.get("findings") or [{}])[0].get("id") for r in rep["records"]}


with FakeExchange(MH) as fx:
    r = fx.ready

    def profile_for(app_key, name=None):
        return write((name or app_key) + ".profile.json", json.dumps({
            "format": "mailharness.profile/1", "authority": r["authority"].rsplit("/", 1)[0],
            "tenant": r["tenant_id"], "client_id": apps[app_key]["client_id"], "flow": "client-credentials",
            "credential": {"secret_env": "APP_SECRET"}, "ca_file": r["ca_file"],
            "imap": r["endpoints"]["imap"], "pop3": r["endpoints"]["pop3"], "smtp": r["endpoints"]["smtp"]}))

    alice = write("alice.txt", "alice" + D + "\n")

    # 1. Every broken app, every protocol: the right first finding; never a secret in any output.
    expected = {"no-permission": "app-permission-missing", "no-consent": "app-permission-missing",
                "no-service-principal": "service-principal-missing",
                "wrong-object-id": "service-principal-missing", "expired-secret": "secret-expired"}
    for key, finding in expected.items():
        secret = apps[key]["secrets"][0]["value"]
        rc, so, se, rep, out = validate(profile_for(key), alice, secret)
        got = set(first_findings(rep).values()) if rep else set()
        check(rc == 1 and got == {finding}, "app %s: exit 1, %s on imap, pop3 and smtp (%d, %s)" % (key, finding, rc, got))
        cands = [f["id"] for rec in rep["records"] for f in rec.get("findings", [])] if rep else []
        if key == "wrong-object-id":
            check("service-principal-wrong-object-id" in cands, "wrong object id is among the candidates")
        if key == "no-consent":
            check("admin-consent-missing" in cands, "admin consent is among the candidates")
        leak = [f for root, _, fs in os.walk(out) for f in fs if secret in open(os.path.join(root, f)).read()]
        check(secret not in so + se and not leak, "app %s: the secret is in no output" % key)
    rc, so, se, rep, out = validate(profile_for("imap-only"), alice, apps["imap-only"]["secrets"][0]["value"])
    ff = first_findings(rep)
    check(rc == 1 and ff[("alice" + D, "imap")] is None and ff[("alice" + D, "pop3")] == "app-permission-missing"
          and ff[("alice" + D, "smtp")] == "app-permission-missing", "imap-only app: IMAP ready, POP and SMTP name the permission")

    # 2. The good app: every protocol of the working mailboxes passes; exit 0.
    good = profile_for("good")
    secret = apps["good"]["secrets"][0]["value"]
    ok_list = write("ok.csv", "mailbox,imap,pop3,smtp,shared\nalice%s,yes,yes,yes,no\nbob%s,yes,yes,yes,no\n"
                    "shared%s,yes,no,no,yes\n" % (D, D, D))
    rc, so, se, rep, out = validate(good, ok_list, secret)
    check(rc == 0 and rep["cutover"]["ready"] is True and "cutover: READY" in so,
          "good app: READY, exit 0 (%d: %s)" % (rc, (so + se)[-400:]))
    check(all(r["outcome"] == "pass" for r in rep["records"]) and len(rep["records"]) == 7,
          "good app: 7 checks passed, shared mailbox included")

    # 3. A mixed multi-mailbox run: grouped by step with the affected mailboxes.
    mixed = write("mixed.csv", "mailbox,imap,pop3,smtp\n" + "".join(
        "%s%s,%s\n" % (m, D, p) for m, p in [
            ("alice", "yes,yes,yes"), ("imap-disabled", "yes,no,no"), ("smtp-disabled", "no,no,yes"),
            ("smtp-tenant-default", "no,no,yes"), ("no-fullaccess", "yes,no,no"),
            ("pop-disabled", "no,yes,no")]))
    rc, so, se, rep, out = validate(good, mixed, secret)
    check(rc == 1 and rep["cutover"]["ready"] is False, "mixed: NOT READY, exit 1")
    states = {m["mailbox"]: m["protocols"] for m in rep["cutover"]["mailboxes"]}
    check(states["alice" + D] == {"imap": "ready", "pop3": "ready", "smtp": "ready"}, "mixed: alice ready everywhere")
    check(states["smtp-disabled" + D]["imap"] == "not requested", "mixed: unrequested protocols are not checked")
    steps = {s["finding"]: s for s in rep["cutover"]["steps"]}
    check(steps.get("smtp-auth-disabled-mailbox", {}).get("mailboxes") == ["smtp-disabled" + D],
          "mixed: the mailbox SMTP AUTH step lists its mailbox")
    check("Set-TransportConfig -SmtpClientAuthenticationDisabled $false" in
          steps.get("smtp-auth-disabled-tenant", {}).get("remediation", ""), "mixed: the tenant SMTP AUTH fix")
    fa = steps.get("mailbox-fullaccess-missing", {})
    check({"imap-disabled" + D, "no-fullaccess" + D} <= set(fa.get("mailboxes", [])) and
          "Add-MailboxPermission -Identity no-fullaccess" + D in fa.get("remediation", ""),
          "mixed: one FullAccess block naming the mailboxes it affects")
    check("Add-MailboxPermission" in so and "NOT READY" in so, "mixed: the console shows the remediation blocks")
    pop = next(r for r in rep["records"] if r["mailbox"] == "pop-disabled" + D)
    check("pop-disabled" in [f["id"] for f in pop.get("findings", [])],
          "mixed: a POP-disabled mailbox lists Set-CASMailbox -PopEnabled among its candidates")

    # 4. The token endpoint failing: explained, no mail connection made.
    req = urllib.request.Request(r["control"] + "/faults/token", data=json.dumps(
        {"status": 503, "retry_after": 1, "count": 100}).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, context=fx.ssl).read()
    rc, so, se, rep, out = validate(good, alice, secret)
    urllib.request.urlopen(urllib.request.Request(r["control"] + "/faults/token", method="DELETE"), context=fx.ssl)
    pre = {c["name"]: c for c in rep["cutover"]["preflight"]}
    check(rc == 1 and pre["token"]["ok"] is False, "token endpoint 503: preflight fails, exit 1 (%d)" % rc)
    ids = set(first_findings(rep).values())
    check(ids and all(i and "token" in i for i in ids), "token endpoint 503: every check names the token endpoint (%s)" % ids)
    check(all(list(rec["phases"].keys()) == ["token", "total"] for rec in rep["records"]),
          "token endpoint 503: no mail connection was made")

    # 5. Bad input.
    cases = [("bad1.csv", "mailbox,imap,pop\nalice%s,yes,maybe\n" % D, ["bad1.csv:2:", "maybe"]),
             ("bad2.csv", "mailbox,imap,ftp\n", ["bad2.csv:1:", "ftp"]),
             ("bad3.txt", "alice%s\nnot-an-address\n" % D, ["bad3.txt:2:", "not-an-address"]),
             ("bad4.txt", "alice%s\nalice%s\n" % (D, D), ["bad4.txt:2:", "twice"]),
             ("bad5.txt", "# nothing\n", ["bad5.txt", "no mailbox"])]
    for name, text, needles in cases:
        rc, so, se, rep, out = validate(good, write(name, text), secret)
        check(rc == 2 and all(n in se for n in needles), "%s: exit 2 naming %s (%s)" % (name, needles, se.strip()))
    rc, so, se, rep, out = validate(good, alice, secret, ["--protocols", "imap,ews"])
    check(rc == 2 and "ews" in se, "unknown protocol: exit 2 (%s)" % se.strip())
    rc, so, se, rep, out = validate(good, alice, None)
    check(rc == 2 and "APP_SECRET" in se, "missing secret: exit 2 naming the variable (%s)" % se.strip())
    dead = write("dead.profile.json", json.dumps({
        "format": "mailharness.profile/1", "authority": "https://127.0.0.1:9", "tenant": r["tenant_id"],
        "client_id": apps["good"]["client_id"], "credential": {"secret_env": "APP_SECRET"}, "ca_file": r["ca_file"],
        "imap": r["endpoints"]["imap"]}))
    rc, so, se, rep, out = validate(dead, alice, secret, ["--protocols", "imap", "--token-timeout", "3"])
    check(rc == 3, "unreachable authority: exit 3 (%d: %s)" % (rc, (so + se)[-300:]))

sys.exit(1 if failures else 0)
