#!/usr/bin/env python3
"""No secret in any output, in every command mode (issue 8): token, login, run, validate, bench and
fake run against `mailharness fake` (a separate process) with known secrets and tokens, on success
and on failure paths, and every output stream and every file they write is searched for each secret
and token in clear, base64 (standard and URL-safe), URL-encoded, and inside XOAUTH2 and OAUTHBEARER
payloads (clear and base64), plus token shapes (JWT, Entra refresh token). Exempt by design, with
their modes checked: the 0600 token cache, the fake's 0600 ready file (it hands out the demo
credentials) and its 0700 state dir. Also: secrets on the command line are refused without being
echoed, and core dumps are disabled.
Usage: test_secrets_all_modes.py path/to/mailharness"""
import base64
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "interop"))
sys.path.insert(0, HERE)
from clitest import check, finish  # noqa: E402
from fake_process import FakeExchange  # noqa: E402

MH = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="mh-secrets-all-")
outputs = {}     # name -> text of an output stream
files_dirs = []  # folders whose every file is output


def encodings(s):
    b = s.encode()
    forms = {s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s)}
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        # Every alignment of the secret inside a larger base64 text, without padding.
        for pad in (b"", b"x", b"xy"):
            e = enc(pad + b).decode().rstrip("=")
            skip = {0: 0, 1: 2, 2: 3}[len(pad)]
            forms.add(e[skip:skip + max(8, (len(b) * 4) // 3 - 4)])
    return {f for f in forms if len(f) >= 8}


def sasl_forms(user, token):
    x = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
    o = "n,a=%s,\x01auth=Bearer %s\x01\x01" % (user, token)
    return {base64.b64encode(x.encode()).decode()[:40], base64.b64encode(o.encode()).decode()[:40],
            "auth=Bearer " + token[:16]}


def run(name, args, env_extra=None, timeout=300, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update(env_extra or {})
    p = subprocess.run([MH, *args], capture_output=True, text=True, env=env, timeout=timeout, input=stdin)
    outputs[name + ".stdout"] = p.stdout
    outputs[name + ".stderr"] = p.stderr
    return p


def out_dir(name):
    d = os.path.join(tmp, "out", name)
    files_dirs.append(d)
    return d


with FakeExchange(MH, "--verdicts-file", os.path.join(tmp, "fake-verdicts.json"),
                  dir=os.path.join(tmp, "fake")) as fx:
    r = fx.ready
    ready = fx.ready_path
    demo = r["demo"]
    check(stat.S_IMODE(os.stat(ready).st_mode) == 0o600, "the fake's ready file (demo credentials) is 0600")
    app = demo["app"]
    secret = app["client_secret"]
    user = demo["users"][0]
    mailbox = demo["mailboxes"][0]
    access = fx.token()
    user_token = fx.user_token(user["upn"])
    needles = set()
    for s in (secret, user["password"], access, user_token):
        needles |= encodings(s)
    needles |= sasl_forms(mailbox, access) | sasl_forms(user["upn"], user_token)
    senv = {"SECRET": secret, "TOK": access, "PW": user["password"], "UTOK": user_token}
    cache = os.path.join(tmp, "cache", "tokens.json")
    os.makedirs(os.path.dirname(cache), mode=0o700)
    authority = ["--authority", r["authority"], "--ca-file", r["ca_file"]]
    cc = ["--flow", "client-credentials", "--client-id", app["client_id"], "--client-secret-env", "SECRET", *authority]

    # token: summary with a cache, JSON, decode, password flow, a refused secret.
    p = run("token-cc", ["token", *cc, "--cache", cache], senv)
    check(p.returncode == 0 and "not cached" not in p.stdout + p.stderr,
          "token: client credentials, cached (%d: %s)" % (p.returncode, p.stderr.strip()))
    p = run("token-json", ["token", *cc, "--no-cache", "--json"], senv)
    check(p.returncode == 0 and json.loads(p.stdout), "token --json")
    p = run("token-decode", ["token", "--decode", "--token-env", "TOK"], senv)
    check(p.returncode == 0, "token --decode")
    p = run("token-password", ["token", "--flow", "password", "--client-id", demo["public_client"]["client_id"],
                               "--username", user["upn"], "--password-env", "PW", "--no-cache", *authority], senv)
    check(p.returncode == 0, "token: password flow (%d: %s)" % (p.returncode, p.stderr.strip()))
    p = run("token-bad", ["token", *cc, "--no-cache"], {"SECRET": secret[::-1]})
    check(p.returncode == 1 and "AADSTS7000215" in p.stderr, "token: a refused secret is explained")
    needles |= encodings(secret[::-1])

    # login: every protocol with transcript and fetch, JSON, a static token, a wrong token.
    for proto in ("imap", "pop3", "smtp"):
        extra = ["--send-test-message", mailbox] if proto == "smtp" else ["--fetch"]
        p = run("login-" + proto, ["login", "--profile", ready, "--protocol", proto, "--user", mailbox,
                                   "--transcript", "--no-cache", *extra])
        check(p.returncode == 0 and "verdict: PASS" in p.stdout, "login %s with transcript" % proto)
        p = run("login-json-" + proto, ["login", "--profile", ready, "--protocol", proto, "--user", mailbox,
                                        "--json", "--transcript", "--token-env", "TOK"], senv)
        check(p.returncode == 0, "login %s --json with a static token" % proto)
        p = run("login-wrong-" + proto, ["login", "--profile", ready, "--protocol", proto, "--user",
                                         "nobody@" + mailbox.split("@")[1], "--transcript", "--token-env", "TOK"], senv)
        check(p.returncode == 1, "login %s to a mailbox the app has no rights on fails (%d)" % (proto, p.returncode))

    # run: the fault and smoke scenarios against this fake, and one embedded case.
    p = run("run-target", ["run", "--target", ready, "--tag", "smoke", "--out", out_dir("run-target"),
                           "--state-dir", os.path.join(tmp, "run-state")])
    check(p.returncode == 0, "run --target (%d: %s)" % (p.returncode, p.stdout[-300:]))
    p = run("run-embedded", ["run", "--id", "flows.*", "--out", out_dir("run-embedded"),
                             "--state-dir", os.path.join(tmp, "run-state")])
    check(p.returncode == 0, "run the token-flow scenarios embedded (%d)" % p.returncode)

    # validate: the ready file as a profile, one good and one missing mailbox.
    mb = os.path.join(tmp, "mailboxes.txt")
    with open(mb, "w") as f:
        f.write(mailbox + "\nnobody@" + mailbox.split("@")[1] + "\n")
    p = run("validate", ["validate", "--profile", ready, "--mailboxes", mb, "--out", out_dir("validate"),
                         "--no-cache", "--pace-ms", "0"])
    check(p.returncode in (0, 1) and os.path.exists(os.path.join(tmp, "out", "validate", "report.json")),
          "validate wrote its report (%d)" % p.returncode)

    # bench: against this fake (flow token per login) and the embedded fake.
    p = run("bench-target", ["bench", "--profile", ready, "--protocol", "imap", "--concurrency", "2",
                             "--duration", "1", "--warmup", "0", "--token", "per-login", "--quiet",
                             "--out", out_dir("bench-target"), "--state-dir", os.path.join(tmp, "bench-state")])
    check(p.returncode == 0, "bench against the fake (%d: %s)" % (p.returncode, p.stderr.strip()[-300:]))
    p = run("bench-embedded", ["bench", "--protocol", "smtp", "--concurrency", "2", "--duration", "1",
                               "--warmup", "0", "--quiet", "--out", out_dir("bench-embedded"),
                               "--state-dir", os.path.join(tmp, "bench-state")])
    check(p.returncode == 0, "bench embedded (%d)" % p.returncode)

# fake: its own streams (read after it stopped), events and verdicts files.
outputs["fake.stdout"], outputs["fake.stderr"] = fx.output
for name in ("events.json",):
    outputs["fake." + name] = open(os.path.join(tmp, "fake", name), errors="replace").read()
outputs["fake.verdicts"] = open(os.path.join(tmp, "fake-verdicts.json"), errors="replace").read()

# Secrets on the command line: refused, exit 2, never echoed.
fake_secret = "Qx8Q~not-a-real-secret-2026"
jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJl"
refresh = "0.AXoA" + "k" * 60
for name, args in {
    "argv-client-secret": ["token", "--client-id", "x", "--client-secret", fake_secret],
    "argv-client-secret-eq": ["token", "--client-secret=" + fake_secret],
    "argv-password": ["token", "--flow", "password", "--password", fake_secret],
    "argv-jwt": ["login", "--protocol", "imap", "--user", "a@b.c", jwt],
    "argv-token-opt": ["bench", "--token", jwt],
    "argv-refresh": ["token", "--flow", "refresh-token", "--refresh-token", refresh],
    "argv-secret-as-env": ["token", "--client-id", "x", "--client-secret-env", fake_secret],
}.items():
    p = run(name, args)
    check(p.returncode == 2 and "refused argument" in p.stderr and "not shown" in p.stderr,
          "%s: refused with exit 2 (%d: %s)" % (name, p.returncode, p.stderr.strip()[:120]))
needles |= {fake_secret, jwt[:30], refresh}

# Core dumps are disabled: the soft and hard core limits of a running mailharness are 0.
with FakeExchange(MH, dir=os.path.join(tmp, "fake2")) as fx2:
    limits = open("/proc/%d/limits" % fx2.proc.pid).read()
    core = [l for l in limits.splitlines() if l.startswith("Max core file size")]
    check(core and core[0].split()[4:6] == ["0", "0"], "core dumps disabled (%s)" % (core[0] if core else "?"))

# Every file the commands wrote, except the exempt ones (checked for their modes).
check(stat.S_IMODE(os.stat(cache).st_mode) == 0o600, "token cache is 0600")
d = os.path.join(tmp, "fake", "state")
check(stat.S_IMODE(os.stat(d).st_mode) == 0o700, "the fake's state dir is 0700")
searched_files = 0
for d in files_dirs:
    for root, _, names in os.walk(d):
        for n in names:
            path = os.path.join(root, n)
            outputs[os.path.relpath(path, tmp)] = open(path, errors="replace").read()
            searched_files += 1
check(searched_files >= 18, "report files searched: %d" % searched_files)
check(len(outputs) >= 60, "outputs searched: %d" % len(outputs))

shapes = {
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "refresh token or code": re.compile(r"\b0\.A[A-Za-z0-9_-]{40,}"),
    "XOAUTH2 payload": re.compile(r"dXNlcj[A-Za-z0-9+/]{16,}"),
    "OAUTHBEARER payload": re.compile(r"\b(bixh|biws)[A-Za-z0-9+/]{16,}"),
    "Bearer credential": re.compile(r"Bearer [A-Za-z0-9._-]{20,}"),
}
hits = 0
for name, text in sorted(outputs.items()):
    found = [n[:4] + "…" for n in needles if n in text]
    found += [shape for shape, rx in shapes.items() if rx.search(text)]
    if found:
        hits += 1
        check(False, "%s: %s" % (name, found))
check(hits == 0, "no secret, token or payload in %d outputs (%d needles)" % (len(outputs), len(needles)))
finish()
