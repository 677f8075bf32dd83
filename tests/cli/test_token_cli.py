#!/usr/bin/env python3
"""`mailharness token` as users run it, against `mailharness fake` in a separate process:
the summary never shows a secret or the token; --print-token puts the token alone on stdout;
--decode shows header and claims (never the signature) and the mail-use checks; the cache is
0600, reused, refreshed with rotation, and a corrupt one is refused; exit codes 0/1/2/3.
Usage: test_token_cli.py path/to/mailharness"""
import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from fake_process import FakeExchange  # noqa: E402

MH = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(args, env_extra=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env.update(env_extra or {})
    p = subprocess.run([MH, "token", *args], capture_output=True, text=True, env=env, input=stdin, timeout=60)
    return p.returncode, p.stdout, p.stderr


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


with FakeExchange(MH) as fx:
    r = fx.ready
    tmp = tempfile.mkdtemp(prefix="mh-token-cli-")
    cache = os.path.join(tmp, "tokens.json")
    app = r["demo"]["app"]
    secret = app["client_secret"]
    common = ["--authority", r["authority"], "--ca-file", r["ca_file"]]
    cc = ["--flow", "client-credentials", "--client-id", app["client_id"], "--client-secret-env", "SECRET", *common]
    senv = {"SECRET": secret}

    # 1. summary: no token, no secret; cache file 0600.
    rc, out, err = run([*cc, "--cache", cache], senv)
    check(rc == 0, "client credentials: exit 0 (%d: %s)" % (rc, err.strip()))
    check("source     token endpoint (1 request)" in out, "summary names the source")
    check(secret not in out + err, "summary does not contain the client secret")
    check("eyJ" not in out + err, "summary does not contain a JWT")
    check(stat.S_IMODE(os.stat(cache).st_mode) == 0o600, "cache file mode 0600")
    fp = [l.split()[1] for l in out.splitlines() if l.strip().startswith("token ")][0]

    # 2. --print-token: the token alone on stdout, from the cache, same fingerprint.
    rc, out, err = run([*cc, "--cache", cache, "--print-token"], senv)
    token = out.strip()
    check(rc == 0 and out.count("\n") == 1 and token.count(".") == 2, "--print-token: one line on stdout")
    check("source     cache" in err, "second run served from the cache (summary on stderr)")
    check(fp == "sha256:" + hashlib.sha256(token.encode()).hexdigest()[:8], "fingerprint matches the printed token")
    check(secret not in out + err, "--print-token output has no secret")

    # 3. --decode of that token: header, claims, checks; never the signature.
    rc, out, err = run(["--decode", "--token-env", "TOK", "--tenant", r["tenant_id"]], {"TOK": token})
    check(rc == 0, "--decode: exit 0 (%d: %s)" % (rc, err.strip()))
    check("good for: IMAP POP3 SMTP" in out, "--decode lists the protocols")
    check('"roles"' in out and "ok    audience" in out and "ok    tenant" in out, "--decode shows claims and checks")
    check(token.split(".")[2] not in out + err, "--decode never prints the signature")
    rc, out, err = run(["--decode", "--json", "--token-env", "TOK"], {"TOK": token})
    j = json.loads(out)
    check(j["jwt"] and j["protocols"] == ["IMAP", "POP3", "SMTP"], "--decode --json")

    # 4. --decode of a Graph token for another tenant, expired: exit 1, each check fails.
    graph = b64url({"alg": "RS256", "typ": "JWT"}) + "." + b64url(
        {"aud": "https://graph.microsoft.com", "scp": "Mail.Read", "tid": "11111111-2222-4333-8444-555555555555",
         "exp": 1600000000}) + ".c2ln"
    rc, out, err = run(["--decode", "--token-env", "TOK", "--tenant", r["tenant_id"]], {"TOK": graph})
    check(rc == 1, "--decode of a Graph token: exit 1")
    check(out.count("FAIL  ") == 4 and "expired" in out, "--decode names every failed check")
    check("nothing" in out, "--decode says the token is good for nothing")

    # 5. opaque token: said so, exit 0.
    rc, out, err = run(["--decode", "--token-env", "TOK"], {"TOK": "EwBoA+l3BAAUopaque/token="})
    check(rc == 0 and "opaque" in out, "--decode of an opaque token says so")

    # 6. wrong secret: exit 1 with AADSTS code; the secret is not echoed.
    rc, out, err = run([*cc, "--no-cache"], {"SECRET": "not-the-secret-123"})
    check(rc == 1 and "AADSTS7000215" in err and "trace id" in err, "wrong secret: exit 1 with AADSTS7000215")
    check("not-the-secret-123" not in out + err, "wrong secret is not echoed")

    # 7. usage errors name the option or variable: exit 2.
    rc, out, err = run(["--flow", "client-credentials", "--client-id", app["client_id"], *common, "--no-cache"])
    check(rc == 2 and "AZURE_CLIENT_SECRET" in err, "missing secret: exit 2 naming AZURE_CLIENT_SECRET")
    rc, out, err = run([*cc, "--no-cache"], {})
    check(rc == 2 and "SECRET" in err, "unset secret variable: exit 2 naming it")
    rc, out, err = run(["--flow", "client-credentials", "--client-id", "x", "--no-cache",
                        "--client-secret-env", "SECRET"], senv)
    check(rc == 2 and "AZURE_TENANT_ID" in err, "missing tenant: exit 2 naming AZURE_TENANT_ID")
    rc, out, err = run(["--flow", "client-credentials", "--client-secret", "x"])
    check(rc == 2, "a secret on the command line is not an option")

    # 8. Azure Identity environment variables as defaults.
    rc, out, err = run(["--flow", "client-credentials", "--ca-file", r["ca_file"], "--no-cache"],
                       {"AZURE_TENANT_ID": r["tenant_id"], "AZURE_CLIENT_ID": app["client_id"],
                        "AZURE_CLIENT_SECRET": secret,
                        "AZURE_AUTHORITY_HOST": r["authority"].rsplit("/", 1)[0]})
    check(rc == 0, "AZURE_* environment: exit 0 (%s)" % err.strip())

    # 9. corrupt cache: refused, named, left alone.
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write('{"format":"mailharness.token-cache/1","entr')
    rc, out, err = run([*cc, "--cache", bad], senv)
    check(rc == 2 and bad in err, "corrupt cache: exit 2 naming the file")
    check(open(bad).read() == '{"format":"mailharness.token-cache/1","entr', "corrupt cache left untouched")

    # 10. password flow, then a refresh from the cache with rotation.
    user = r["demo"]["users"][0]
    pub = r["demo"]["public_client"]["client_id"]
    pw = ["--client-id", pub, "--username", user["upn"], *common, "--cache", cache]
    rc, out, err = run(["--flow", "password", "--password-env", "PW", *pw], {"PW": user["password"]})
    check(rc == 0 and "discouraged" in err, "password flow: exit 0 with the ROPC warning (%s)" % err.strip())
    check(user["password"] not in out + err, "password not echoed")
    rt1 = [l.split()[1] for l in out.splitlines() if l.strip().startswith("refresh ")][0]
    rc, out, err = run(["--flow", "refresh-token", "--refresh-margin", "86400", *pw])
    check(rc == 0 and "source     refreshed" in out, "refresh-token flow from the cache (%s)" % err.strip())
    rt2 = [l.split()[1] for l in out.splitlines() if l.strip().startswith("refresh ")][0]
    check(rt1.startswith("sha256:") and rt1 != rt2, "the rotated refresh token was returned")
    entries = json.load(open(cache))["entries"]
    stored = [e["refresh_token"] for e in entries.values() if e.get("account") == user["upn"]]
    check(len(stored) == 1 and "sha256:" + hashlib.sha256(stored[0].encode()).hexdigest()[:8] == rt2,
          "the rotated refresh token is stored in the cache")

    # 11. device code: the message on stderr, approved through the fake's control API, polled.
    proc = subprocess.Popen([MH, "token", "--flow", "device-code", "--client-id", pub, *common, "--no-cache",
                             "--print-token"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    check("enter the code" in line, "device code: the message is shown (%s)" % line.strip())
    code = line.split("enter the code ")[1].split()[0]
    req = urllib.request.Request(r["control"] + "/devicecode/approve", method="POST",
                                 data=json.dumps({"user_code": code, "upn": user["upn"]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=fx.ssl, timeout=10) as resp:
        check(resp.status == 200, "device code approved through the control API")
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0 and out.strip().count(".") == 2, "device code: token printed (rc %d)" % proc.returncode)
    claims = json.loads(base64.urlsafe_b64decode(out.strip().split(".")[1] + "=="))
    check(claims.get("upn") == user["upn"] and "IMAP.AccessAsUser.All" in claims.get("scp", ""),
          "device code token is for the approving user with IMAP scope")

    # 11b. auth code with PKCE: the URL printed (--no-browser), a "browser" that follows the
    # authorize redirect to the loopback listener, the code redeemed.
    proc = subprocess.Popen([MH, "token", "--flow", "auth-code", "--no-browser", "--client-id", pub,
                             "--username", user["upn"], *common, "--no-cache", "--print-token"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = ""
    for line in proc.stderr:
        if line.strip().startswith("https://"):
            url = line.strip()
            break
    check("/oauth2/v2.0/authorize?" in url and "code_challenge_method=S256" in url and "state=" in url,
          "auth code: the authorize URL is printed with PKCE and state")
    browser = urllib.request.build_opener(urllib.request.HTTPSHandler(context=fx.ssl))
    with browser.open(url, timeout=20) as resp:
        page = resp.read().decode(errors="replace")
    check(resp.status == 200 and "close" in page.lower(), "auth code: the loopback listener answers the browser")
    out, err = proc.communicate(timeout=60)
    check(proc.returncode == 0 and out.strip().count(".") == 2, "auth code: token printed (rc %d: %s)" % (proc.returncode, err.strip()[-200:]))
    if proc.returncode == 0:
        claims = json.loads(base64.urlsafe_b64decode(out.strip().split(".")[1] + "=="))
        check(claims.get("upn") == user["upn"] and "SMTP.Send" in claims.get("scp", ""),
              "auth code token is for the signed-in user with the mail scopes")

# 12. unreachable authority: exit 3; plain http to a remote host refused: exit 2.
rc, out, err = run(["--flow", "client-credentials", "--authority", "https://127.0.0.1:1/t", "--client-id", "c",
                    "--client-secret-env", "SECRET", "--no-cache", "--timeout", "2"], {"SECRET": "x"})
check(rc == 3 and "connect" in err, "unreachable authority: exit 3")
rc, out, err = run(["--flow", "client-credentials", "--authority", "http://login.example/t", "--client-id", "c",
                    "--client-secret-env", "SECRET", "--no-cache"], {"SECRET": "x"})
check(rc == 2 and "https://" in err, "plain http authority off loopback: exit 2")

shutil.rmtree(tmp, ignore_errors=True)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
