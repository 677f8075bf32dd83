#!/usr/bin/env python3
"""No secret in any output (issue 5): run the whole default suite and search every output stream
and every report file for every secret the run used — each demo app's client secret and each
demo user's password, in clear, base64 and URL-encoded — and for every token and SASL payload
by shape (JWTs, Entra-style refresh tokens and codes, base64 XOAUTH2 and OAUTHBEARER payloads).
The fake's own state dir (its CA, signing key and tenant copies) is not output and is skipped.
Usage: test_no_secrets.py path/to/mailharness path/to/demo-tenant.json"""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

MH, TENANT = sys.argv[1], sys.argv[2]
tenant = json.loads(re.sub(r"^\s*//.*$", "", open(TENANT).read(), flags=re.M))
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


secrets = [s["value"] for a in tenant["apps"] for s in a.get("secrets", [])]
secrets += [u["password"] for u in tenant["users"] if u.get("password")]
needles = set()
for s in secrets:
    needles |= {s, base64.b64encode(s.encode()).decode().rstrip("="), urllib.parse.quote(s, safe="")}
shapes = {
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "refresh token or code": re.compile(r"\b0\.A[A-Za-z0-9_-]{40,}"),
    "device code": re.compile(r"DAQABAAEAAAD[A-Za-z0-9_-]{16,}"),
    "XOAUTH2 payload": re.compile(r"dXNlcj[A-Za-z0-9+/]{16,}"),
    "OAUTHBEARER payload": re.compile(r"\b(bixh|biws)[A-Za-z0-9+/]{16,}"),
    "Bearer credential": re.compile(r"Bearer [A-Za-z0-9._-]{20,}"),
}

tmp = tempfile.mkdtemp(prefix="mh-secrets-")
out = os.path.join(tmp, "reports")
p = subprocess.run([MH, "run", "--out", out, "--state-dir", os.path.join(tmp, "state")],
                   capture_output=True, text=True, timeout=600)
check(p.returncode == 0, "the default suite passes (%d: %s)" % (p.returncode, p.stdout[-300:]))
texts = {"stdout": p.stdout, "stderr": p.stderr}
for f in sorted(os.listdir(out)):
    texts[f] = open(os.path.join(out, f), errors="replace").read()
check(sorted(texts) == ["junit.xml", "report.html", "report.json", "report.md", "stderr", "stdout"],
      "every output is searched: %s" % sorted(texts))
report = json.loads(texts["report.json"])
transcripts = [l for r in report["records"] for l in r.get("transcript", [])]
check(any("<XOAUTH2 user=" in l for l in transcripts), "failure transcripts are there, with redacted payloads")
check(len(report["records"]) >= 80, "the whole suite ran (%d records)" % len(report["records"]))
for name, text in texts.items():
    hits = [n[:4] + "…" for n in needles if n and n in text]
    check(not hits, "%s: no client secret or password (%s)" % (name, hits))
    for shape, rx in shapes.items():
        m = rx.search(text)
        check(m is None, "%s: no %s (%s)" % (name, shape, m.group(0)[:12] + "…" if m else ""))

sys.exit(1 if failures else 0)
