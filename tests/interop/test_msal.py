#!/usr/bin/python3
"""Interop: Microsoft's MSAL for Python (Debian python3-msal) against the fake identity
platform, with a custom authority https://localhost:PORT/<tenant id>.

Usage: test_msal.py /path/to/mh_identity_fixture
The fixture serves the test tenant of tests/identity/test_tenant.hpp and writes a ready
file (port, CA, client ids, test secrets). Every MSAL flow a mail client uses must work:
client credentials (secret and certificate), ROPC, device code (approved through the
fake's control API), refresh token; tokens must verify with the published JWKS (PyJWT) and
carry Exchange's claims.

What MSAL 1.21 needs from a custom authority:
- instance_discovery=False (or validate_authority=False): otherwise it asks the real
  https://login.microsoftonline.com/common/discovery/instance; pointing
  instance_discovery at the fake's /common/discovery/instance also works for
  acquire_token_for_client (test_instance_discovery_endpoint).
- /<tenant>/v2.0/.well-known/openid-configuration with authorization_endpoint,
  token_endpoint, device_authorization_endpoint and an `issuer` equal to the id_token's iss.
- ROPC first asks https://<host>/common/userrealm/<user> - MSAL drops the authority's port
  here (a limitation of MSAL, not of the fake), so the test session puts it back.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import jwt
import msal
import requests

FIXTURE = None
INFO = None
SESSION = None  # one connection pool for MSAL and the test's own requests

EXCHANGE_DEFAULT = "https://outlook.office365.com/.default"
IMAP = "https://outlook.office.com/IMAP.AccessAsUser.All"
SMTP = "https://outlook.office.com/SMTP.Send"


class PortKeepingSession(requests.Session):
    """requests.Session that restores the fake's port on URLs MSAL built without it."""

    def __init__(self, port, ca_file):
        super().__init__()
        self.port = port
        self.ca_file = ca_file

    def request(self, method, url, *args, **kwargs):
        u = urllib.parse.urlsplit(url)
        if u.hostname == "localhost" and u.port is None:
            url = urllib.parse.urlunsplit(u._replace(netloc="localhost:%d" % self.port))
        # Explicit, so that REQUESTS_CA_BUNDLE in the environment cannot override it.
        kwargs["verify"] = self.ca_file
        return super().request(method, url, *args, **kwargs)


def session():
    return SESSION


def claims(token):
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def verified(token, audience):
    """Claims of `token` after PyJWT verified it with the fake's JWKS."""
    keys = session().get(INFO["authority"] + "/discovery/v2.0/keys").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    key = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk))
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience,
                      issuer="https://sts.windows.net/%s/" % INFO["tenant_id"])


def confidential(credential=None, **kwargs):
    kwargs.setdefault("instance_discovery", False)
    return msal.ConfidentialClientApplication(
        INFO["confidential"]["client_id"],
        client_credential=credential or INFO["confidential"]["client_secret"],
        authority=INFO["authority"], http_client=session(), **kwargs)


def public():
    return msal.PublicClientApplication(
        INFO["public"]["client_id"], authority=INFO["authority"], http_client=session(),
        instance_discovery=False)


def events(kind):
    got = session().get(INFO["control"] + "/events").json()
    return [e["data"] for e in got if e["kind"] == kind]


class Msal(unittest.TestCase):
    def assert_app_token(self, result, appidacr):
        self.assertIn("access_token", result, result)
        self.assertNotIn("refresh_token", result)
        c = verified(result["access_token"], "https://outlook.office365.com")
        self.assertEqual(c["tid"], INFO["tenant_id"])
        self.assertEqual(c["appid"], INFO["confidential"]["client_id"])
        self.assertEqual(c["appidacr"], appidacr)
        self.assertEqual(c["oid"], INFO["confidential"]["sp_object_id"])
        self.assertEqual(c["roles"], INFO["confidential"]["roles"])
        self.assertEqual(c["ver"], "1.0")
        self.assertNotIn("scp", c)

    def assert_user_token(self, result):
        self.assertIn("access_token", result, result)
        c = verified(result["access_token"], "https://outlook.office.com")
        self.assertEqual(c["tid"], INFO["tenant_id"])
        self.assertEqual(c["upn"], INFO["users"][0]["upn"])
        self.assertIn("IMAP.AccessAsUser.All", c["scp"].split())
        self.assertIn("SMTP.Send", c["scp"].split())
        self.assertEqual(c["appid"], INFO["public"]["client_id"])
        self.assertNotIn("roles", c)
        return c

    def test_client_credentials_with_secret(self):
        result = confidential().acquire_token_for_client([EXCHANGE_DEFAULT])
        self.assert_app_token(result, "1")
        self.assertIsInstance(result["expires_in"], int)

    def test_client_credentials_with_certificate(self):
        cert = INFO["confidential"]["certificate"]
        with open(cert["key_file"]) as f:
            key = f.read()
        result = confidential({"private_key": key, "thumbprint": cert["thumbprint"]}) \
            .acquire_token_for_client([EXCHANGE_DEFAULT])
        self.assert_app_token(result, "2")

    def test_instance_discovery_endpoint(self):
        app = confidential(instance_discovery=INFO["authority"].rsplit("/", 1)[0] +
                           "/common/discovery/instance")
        self.assert_app_token(app.acquire_token_for_client([EXCHANGE_DEFAULT]), "1")

    def test_wrong_secret_is_aadsts7000215(self):
        result = confidential("not-the-secret").acquire_token_for_client([EXCHANGE_DEFAULT])
        self.assertEqual(result.get("error"), "invalid_client", result)
        self.assertEqual(result.get("error_codes"), [7000215])
        self.assertTrue(result["error_description"].startswith("AADSTS7000215: "))

    def test_username_password_then_silent_refresh(self):
        user = INFO["users"][0]
        app = public()
        result = app.acquire_token_by_username_password(user["upn"], user["password"], [IMAP, SMTP])
        self.assert_user_token(result)
        self.assertIn("refresh_token", result)
        self.assertEqual(result["id_token_claims"]["preferred_username"], user["upn"])
        accounts = app.get_accounts()
        self.assertEqual([a["username"] for a in accounts], [user["upn"]])
        again = app.acquire_token_silent([IMAP, SMTP], account=accounts[0], force_refresh=True)
        self.assertIsNotNone(again)
        self.assert_user_token(again)
        self.assertNotEqual(again["access_token"], result["access_token"])
        refreshes = [e for e in events("token.issued") if e["grant"] == "refresh_token"]
        self.assertTrue(refreshes, "MSAL did not use the refresh token")

    def test_device_flow_approved_through_the_control_api(self):
        app = public()
        flow = app.initiate_device_flow([IMAP, SMTP])
        self.assertIn("user_code", flow, flow)
        self.assertIn(flow["user_code"], flow["message"])
        r = session().post(INFO["control"] + "/devicecode/approve",
                           json={"user_code": flow["user_code"], "upn": INFO["users"][0]["upn"]})
        self.assertEqual(r.status_code, 200, r.text)
        result = app.acquire_token_by_device_flow(flow)
        self.assert_user_token(result)
        self.assertIn("refresh_token", result)

    def test_device_flow_declined(self):
        app = public()
        flow = app.initiate_device_flow([IMAP])
        session().post(INFO["control"] + "/devicecode/deny", json={"user_code": flow["user_code"]})
        result = app.acquire_token_by_device_flow(flow)
        self.assertEqual(result.get("error"), "authorization_declined", result)

    def test_refresh_token_from_elsewhere_rotates(self):
        user = INFO["users"][0]
        first = public().acquire_token_by_username_password(user["upn"], user["password"], [IMAP, SMTP])
        rt = first["refresh_token"]
        result = public().acquire_token_by_refresh_token(rt, [IMAP, SMTP])
        self.assert_user_token(result)
        self.assertIn("refresh_token", result)
        self.assertNotEqual(result["refresh_token"], rt)
        last = [e for e in events("token.issued") if e["grant"] == "refresh_token"][-1]
        self.assertTrue(last["scope_sent"])
        self.assertFalse(last["refresh_token_reused"])
        self.assertNotIn(rt, json.dumps(events("token.issued")))


def main():
    global FIXTURE, INFO, SESSION
    FIXTURE = os.path.abspath(sys.argv.pop(1))
    with tempfile.TemporaryDirectory(prefix="mh-msal-") as d:
        ready = os.path.join(d, "ready.json")
        proc = subprocess.Popen([FIXTURE, os.path.join(d, "state"), ready], stdin=subprocess.PIPE)
        try:
            deadline = time.time() + 60
            while not os.path.exists(ready):
                if proc.poll() is not None or time.time() > deadline:
                    raise SystemExit("mh_identity_fixture did not start (rc=%s)" % proc.poll())
                time.sleep(0.05)
            with open(ready) as f:
                INFO = json.load(f)
            with PortKeepingSession(INFO["port"], INFO["ca_file"]) as s:
                SESSION = s
                prog = unittest.main(exit=False, verbosity=2)
        finally:
            proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    result = prog.result
    print(f"{result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
