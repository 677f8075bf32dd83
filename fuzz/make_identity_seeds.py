#!/usr/bin/env python3
"""Writes the seeds of fuzz_identity_http and fuzz_client_assertion (run once; the files are
committed). Client assertions are signed with the fuzz-only certificate key embedded in
fuzz/fake_server_env.hpp (openssl CLI), valid at that file's fixed clock.
Usage: fuzz/make_identity_seeds.py   (from the repository root)"""
import base64, hashlib, json, os, re, subprocess, tempfile, urllib.parse

ROOT = os.path.dirname(os.path.abspath(__file__))
env = open(os.path.join(ROOT, "fake_server_env.hpp")).read()
CERT = re.search(r'fuzz_client_cert_pem = R"\((.*?)\)"', env, re.S).group(1)
KEY = re.search(r'fuzz_client_key_pem = R"\((.*?)\)"', env, re.S).group(1)
NOW = int(re.search(r"fixed_now = ([0-9']+);", env).group(1).replace("'", ""))
tenant = json.loads(re.sub(r"^\s*//.*$", "", open(os.path.join(ROOT, "../fakes/tenant/demo-tenant.json")).read(), flags=re.M))
TID, DOMAIN = tenant["tenant_id"], tenant["domain"]
apps = {a["key"]: a for a in tenant["apps"]}
GOOD, PUBLIC = apps["good"]["client_id"], apps["good-public"]["client_id"]
SECRET = apps["good"]["secrets"][0]["value"]
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64u(b, pad=False):
    s = base64.urlsafe_b64encode(b).decode()
    return s if pad else s.rstrip("=")


def der():
    pem = "".join(l for l in CERT.strip().splitlines() if "-----" not in l)
    return base64.b64decode(pem)


def sign(data, alg):
    with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as k:
        k.write(KEY)
    args = ["openssl", "dgst", "-sha256", "-sign", k.name]
    if alg == "PS256":
        args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
    sig = subprocess.run(args, input=data, capture_output=True, check=True).stdout
    os.unlink(k.name)
    return sig


def assertion(alg="PS256", x5t="s256", aud=None, iss=GOOD, sub=GOOD, nbf=NOW - 60, exp=NOW + 600,
              tamper=False):
    h = {"alg": alg, "typ": "JWT"}
    if x5t in ("s256", "both"):
        h["x5t#S256"] = b64u(hashlib.sha256(der()).digest())
    if x5t in ("sha1", "both"):
        h["x5t"] = b64u(hashlib.sha1(der()).digest())
    if x5t == "sha1-padded":  # MSAL for Python
        h["x5t"] = b64u(hashlib.sha1(der()).digest(), pad=True)
    c = {"aud": aud or f"https://login.microsoftonline.com/{TID}/oauth2/v2.0/token", "iss": iss,
         "sub": sub, "jti": "9b3f6c1e-2a47-4d8e-b5a0-7c1d2e3f4a5b", "nbf": nbf, "iat": nbf, "exp": exp}
    si = b64u(json.dumps(h, separators=(",", ":")).encode()) + "." + b64u(json.dumps(c, separators=(",", ":")).encode())
    sig = sign(si.encode(), alg)
    if tamper:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    return si + "." + b64u(sig)


def write(folder, name, data):
    d = os.path.join(ROOT, "corpus", folder)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def form(params):
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def post(path, body, ctype="application/x-www-form-urlencoded", extra=""):
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {ctype}\r\n{extra}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}")


def get(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n"


TOKEN = f"/{TID}/oauth2/v2.0/token"
APP_SCOPE = "https://outlook.office365.com/.default"
USER_SCOPE = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"

# --- fuzz_client_assertion: a selector byte, then the assertion (see the target's header).
ca = {
    "ps256_s256": (0, assertion()),
    "rs256_both": (0, assertion("RS256", "both")),
    "rs256_sha1_padded": (0, assertion("RS256", "sha1-padded")),
    "aud_domain_v1": (1, assertion(aud=f"https://login.microsoftonline.com/{DOMAIN}/oauth2/token")),
    "expired": (0, assertion(nbf=NOW - 7200, exp=NOW - 3600)),
    "not_yet_valid": (0, assertion(nbf=NOW + 3600, exp=NOW + 7200)),
    "wrong_aud": (0, assertion(aud="https://login.microsoftonline.com/common/oauth2/v2.0/token")),
    "wrong_iss": (0, assertion(iss=PUBLIC)),
    "bad_signature": (0, assertion(tamper=True)),
    "wrong_type": (4, assertion()),
    "with_secret": (8, assertion()),
    "public_app": (16, assertion()),
}
for name, (sel, a) in ca.items():
    write("client_assertion", name, bytes([sel]) + a.encode())

# --- fuzz_identity_http: one connection's requests.
h = {}
h["cc_secret"] = post(TOKEN, form({"client_id": GOOD, "client_secret": SECRET, "scope": APP_SCOPE,
                                   "grant_type": "client_credentials"}),
                      extra="client-request-id: 0b7c4f6e-1d2a-4c3b-9e8f-5a6b7c8d9e0f\r\n")
basic = base64.b64encode(f"{GOOD}:{urllib.parse.quote(SECRET, safe='')}".encode()).decode()
h["cc_basic"] = post(f"/{DOMAIN}/oauth2/v2.0/token", form({"scope": APP_SCOPE, "grant_type": "client_credentials"}),
                     extra=f"Authorization: Basic {basic}\r\n")
h["cc_assertion"] = post(TOKEN, form({"client_id": GOOD, "client_assertion_type": JWT_BEARER,
                                      "client_assertion": assertion(), "scope": APP_SCOPE,
                                      "grant_type": "client_credentials"}))
h["cc_assertion_rs256"] = post(TOKEN, form({"client_id": GOOD, "client_assertion_type": JWT_BEARER,
                                            "client_assertion": assertion("RS256", "both"),
                                            "scope": APP_SCOPE, "grant_type": "client_credentials"}))
h["ropc_refresh"] = post(TOKEN, form({"client_id": PUBLIC, "username": "alice@contoso.onmicrosoft.com",
                                      "password": "Demo-Alice-Pa55!", "scope": USER_SCOPE,
                                      "grant_type": "password"})) + \
    post(TOKEN, form({"client_id": PUBLIC, "refresh_token": "@RT@", "grant_type": "refresh_token",
                      "scope": USER_SCOPE}).replace("%40RT%40", "@RT@"))
h["device_flow"] = post(f"/organizations/oauth2/v2.0/devicecode", form({"client_id": PUBLIC, "scope": USER_SCOPE})) + \
    post(TOKEN, form({"client_id": PUBLIC, "device_code": "@DC@",
                      "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}).replace("%40DC%40", "@DC@")) + \
    post("/_fake/devicecode/approve", json.dumps({"user_code": "@UC@", "upn": "alice@contoso.onmicrosoft.com"}),
         "application/json") + \
    post(TOKEN, form({"client_id": PUBLIC, "device_code": "@DC@",
                      "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}).replace("%40DC%40", "@DC@"))
verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
challenge = b64u(hashlib.sha256(verifier.encode()).digest())
h["auth_code_pkce"] = get(f"/{TID}/oauth2/v2.0/authorize?" + form({
    "client_id": PUBLIC, "response_type": "code", "redirect_uri": "http://localhost",
    "scope": USER_SCOPE, "state": "xyz", "code_challenge": challenge, "code_challenge_method": "S256",
    "login_hint": "alice@contoso.onmicrosoft.com"})) + \
    post(TOKEN, form({"client_id": PUBLIC, "code": "@CODE@", "redirect_uri": "http://localhost",
                      "code_verifier": verifier, "grant_type": "authorization_code",
                      "scope": USER_SCOPE}).replace("%40CODE%40", "@CODE@"))
h["discovery"] = get(f"/{TID}/v2.0/.well-known/openid-configuration") + get(f"/common/discovery/v2.0/keys") + \
    get("/common/discovery/instance?api-version=1.1&authorization_endpoint=https%3A%2F%2Flocalhost%2Fcommon%2Foauth2%2Fv2.0%2Fauthorize") + \
    get("/common/userrealm/alice@contoso.onmicrosoft.com?api-version=1.0") + get("/_fake")
h["faults_control"] = post("/_fake/faults/token", json.dumps({"status": 429, "retry_after": 2, "count": 1}),
                           "application/json") + h["cc_secret"] + get("/_fake/faults/token") + \
    f"DELETE /_fake/faults/token HTTP/1.1\r\nHost: localhost\r\n\r\n" + get("/_fake/events?since=0")
h["bad_escape"] = post(TOKEN, "client_id=%zz&grant_type=client_credentials")
h["get_token_http10"] = f"GET {TOKEN}?grant_type=client_credentials HTTP/1.0\r\n\r\n"
h["wrong_secret_id"] = post(TOKEN, form({"client_id": GOOD, "client_secret": apps["good"]["secrets"][0]["id"],
                                         "scope": APP_SCOPE, "grant_type": "client_credentials"}))
for name, text in h.items():
    write("identity_http", name + ".http", text)
print("wrote", len(ca), "client_assertion and", len(h), "identity_http seeds")
