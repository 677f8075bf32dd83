#!/usr/bin/python3
"""Interop: the token-refresh verdicts of `mailharness fake` (fakes/observe/VERDICTS.md) for
clients written with urllib, imaplib and smtplib. Each misbehaving client fails the verdict
it was written to break, through GET /_fake/verdicts; a well-behaved client passes every
verdict; the verdicts file is written when the fake is stopped with SIGTERM.

Every test runs its own fake (a fresh event log); they share one state dir.

Usage: test_fake_verdicts.py /path/to/mailharness
"""
import contextlib
import imaplib
import json
import os
import shutil
import smtplib
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_process import FakeExchange, xoauth2  # noqa: E402

MAILHARNESS = None
DIR = None
ALICE = "alice@contoso.onmicrosoft.com"
DEADLINE_S = 30  # bound of every poll; polls end on an observed event, not on time


class Client:
    """The fake's HTTP endpoints, as a client written with urllib sees them."""

    def __init__(self, fx):
        self.fx = fx

    def _send(self, req):
        """(status, JSON body, headers) of one request; HTTP errors are answers too."""
        try:
            with urllib.request.urlopen(req, context=self.fx.ssl, timeout=10) as r:
                return r.status, json.load(r), r.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read()), e.headers

    def token(self, **form):
        return self._send(urllib.request.Request(self.fx.ready["token_endpoint"], method="POST",
                                                 data=urllib.parse.urlencode(form).encode()))

    def app_form(self):
        app = self.fx.ready["demo"]["app"]
        return {"client_id": app["client_id"], "client_secret": app["client_secret"],
                "scope": app["scope"], "grant_type": "client_credentials"}

    def password_form(self, upn=ALICE):
        pub = self.fx.ready["demo"]["public_client"]
        password = next(u["password"] for u in self.fx.ready["demo"]["users"] if u["upn"] == upn)
        return {"client_id": pub["client_id"], "scope": pub["scope"], "grant_type": "password",
                "username": upn, "password": password}

    def refresh_form(self, refresh_token, scope=True):
        pub = self.fx.ready["demo"]["public_client"]
        form = {"client_id": pub["client_id"], "grant_type": "refresh_token",
                "refresh_token": refresh_token}
        if scope:
            form["scope"] = pub["scope"]
        return form

    def ok_token(self, form):
        status, body, _ = self.token(**form)
        if status != 200:
            raise AssertionError(f"token endpoint said {status}: {body.get('error_description')}")
        return body

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return self._send(urllib.request.Request(
            self.fx.ready["control"] + path, data=data, method=method,
            headers={"Content-Type": "application/json"}))[:2]

    def verdicts(self, client_id, **options):
        query = urllib.parse.urlencode({"client_id": client_id, **options})
        status, body = self.control("GET", "/verdicts?" + query)
        if status != 200:
            raise AssertionError(f"/_fake/verdicts said {status}: {body}")
        return body

    def wait_for_event(self, kind, since=0):
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            url = self.fx.ready["control"] + f"/events?since={since}"
            with urllib.request.urlopen(url, context=self.fx.ssl, timeout=10) as r:
                for e in json.load(r):
                    if e["kind"] == kind:
                        return e
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event within {DEADLINE_S} s")

    def imap(self, user, token):
        m = imaplib.IMAP4_SSL("localhost", self.fx.port("imap"), ssl_context=self.fx.ssl)
        try:
            m.authenticate("XOAUTH2", lambda _: xoauth2(user, token).encode())
        except imaplib.IMAP4.error:
            m.shutdown()
            raise
        return m

    def noop_until_bye(self, m):
        """Polls the session with NOOP until the server ends it (BYE … AccessTokenExpired)."""
        deadline = time.monotonic() + DEADLINE_S
        try:
            while time.monotonic() < deadline:
                m.noop()
                time.sleep(0.1)
        except imaplib.IMAP4.abort:
            m.shutdown()
            return self.wait_for_event("imap.session_expired")
        raise AssertionError(f"the session did not end within {DEADLINE_S} s")

    def smtp_login(self, user, token):
        s = smtplib.SMTP("localhost", self.fx.port("smtp"), timeout=20)
        s.starttls(context=self.fx.ssl)
        s.ehlo("client.example")
        code, _ = s.auth("XOAUTH2", lambda challenge=None: xoauth2(user, token),
                         initial_response_ok=True)
        s.quit()
        return code


def entry(doc, account=None):
    """The verdict entry of the queried client for `account` (None: app-only)."""
    for c in doc["clients"]:
        if c["account"] == account:
            return c
    raise AssertionError(f"no entry for {account}: {json.dumps(doc)[:2000]}")


class Verdicts(unittest.TestCase):
    @contextlib.contextmanager
    def fake(self, *args):
        self.verdicts_file = os.path.join(DIR, "verdicts.json")
        if os.path.exists(self.verdicts_file):
            os.unlink(self.verdicts_file)
        with FakeExchange(MAILHARNESS, "--verdicts-file", self.verdicts_file, *args, dir=DIR) as fx:
            yield Client(fx)

    def at_exit(self, client_id):
        """The verdicts file the fake wrote when stopped (SIGTERM), for `client_id`."""
        with open(self.verdicts_file) as f:
            doc = json.load(f)
        self.assertEqual(doc["format"], "mailharness.verdicts/1")
        doc["clients"] = [c for c in doc["clients"] if c["client_id"] == client_id]
        return doc

    def assert_fails(self, e, name):
        v = e["verdicts"][name]
        self.assertEqual(v["result"], "fail", json.dumps(e, indent=1))
        self.assertGreater(v["violations"], 0)
        self.assertTrue(v["examples"] and v["examples"][0]["text"])
        self.assertEqual(e["result"], "fail")

    def test_reusing_an_expired_token(self):
        """Keeps its session and then its cached token past expiry: fails
        no_expired_token_use and reconnects_after_expiry."""
        with self.fake("--token-lifetime", "2") as c:
            app_id = c.fx.ready["demo"]["app"]["client_id"]
            token = c.ok_token(c.app_form())["access_token"]
            m = c.imap(ALICE, token)
            m.select("INBOX", readonly=True)
            c.noop_until_bye(m)
            with self.assertRaises(imaplib.IMAP4.error):  # reconnects with the same token
                c.imap(ALICE, token)
            late = [e["data"] for e in c.fx.events() if e["kind"] == "imap.auth"][-1]
            self.assertLessEqual(late["token_remaining_s"], 0)
            self.assertEqual(late["client_id"], app_id)  # attributed although refused
            self.assertEqual(late["principal"], app_id)
            doc = c.verdicts(app_id)
            e = entry(doc)
            self.assertEqual(e["account_kind"], "app")
            self.assert_fails(e, "no_expired_token_use")
            self.assert_fails(e, "reconnects_after_expiry")
            self.assertLessEqual(e["verdicts"]["refreshes_before_expiry"]["min_remaining_s"], 0)
        self.assertEqual(entry(self.at_exit(app_id))["verdicts"]["no_expired_token_use"]["result"],
                         "fail")

    def test_ignoring_the_rotated_refresh_token(self):
        with self.fake() as c:
            pub = c.fx.ready["demo"]["public_client"]["client_id"]
            first = c.ok_token(c.password_form())
            rotated = c.ok_token(c.refresh_form(first["refresh_token"]))
            self.assertNotEqual(rotated["refresh_token"], first["refresh_token"])
            again = c.ok_token(c.refresh_form(first["refresh_token"]))  # the old one again
            c.imap(ALICE, again["access_token"]).logout()
            e = entry(c.verdicts(pub), ALICE)
            self.assert_fails(e, "uses_rotated_refresh_token")
            self.assertEqual(e["verdicts"]["uses_rotated_refresh_token"]["violations"], 1)
            self.assertEqual(e["verdicts"]["scope_on_refresh"]["result"], "pass")

    def test_refreshing_on_every_login(self):
        # --burst-window 0: back-to-back refreshes count as needless, not as concurrent.
        with self.fake("--burst-window", "0") as c:
            pub = c.fx.ready["demo"]["public_client"]["client_id"]
            rt = c.ok_token(c.password_form())["refresh_token"]
            for _ in range(3):
                t = c.ok_token(c.refresh_form(rt))
                rt = t["refresh_token"]
                c.imap(ALICE, t["access_token"]).logout()
            doc = c.verdicts(pub)
            self.assertEqual(doc["options"]["burst_window_ms"], 0)
            e = entry(doc, ALICE)
            self.assert_fails(e, "no_needless_refresh")
            self.assertEqual(e["verdicts"]["no_needless_refresh"]["violations"], 3)
            self.assertEqual(e["verdicts"]["single_flight"]["result"], "pass")
            self.assertEqual(e["verdicts"]["uses_rotated_refresh_token"]["result"], "pass")
            # The same log with the default window: the refreshes were back to back.
            e = entry(c.verdicts(pub, burst_window_ms=1000), ALICE)
            self.assertEqual(e["verdicts"]["single_flight"]["violations"] +
                             e["verdicts"]["no_needless_refresh"]["violations"], 3)

    def test_hammering_the_token_endpoint_after_429(self):
        with self.fake() as c:
            app_id = c.fx.ready["demo"]["app"]["client_id"]
            status, _ = c.control("POST", "/faults/token",
                                  {"status": 429, "retry_after": 60, "count": 3})
            self.assertEqual(status, 200)
            answers = [c.token(**c.app_form()) for _ in range(4)]  # ignores Retry-After
            self.assertEqual([a[0] for a in answers], [429, 429, 429, 200])
            self.assertEqual(answers[0][2].get("Retry-After"), "60")
            e = entry(c.verdicts(app_id))
            self.assert_fails(e, "backs_off_on_throttle")
            self.assertEqual(e["verdicts"]["backs_off_on_throttle"]["checked"], 3)
            self.assertEqual(e["verdicts"]["backs_off_on_throttle"]["violations"], 3)
        at_exit = entry(self.at_exit(app_id))
        self.assertEqual(at_exit["verdicts"]["backs_off_on_throttle"]["violations"], 3)

    def test_refresh_without_scope(self):
        with self.fake() as c:
            pub = c.fx.ready["demo"]["public_client"]["client_id"]
            rt = c.ok_token(c.password_form())["refresh_token"]
            c.ok_token(c.refresh_form(rt, scope=False))
            e = entry(c.verdicts(pub), ALICE)
            self.assert_fails(e, "scope_on_refresh")
            self.assertEqual(e["verdicts"]["uses_rotated_refresh_token"]["result"], "pass")

    def test_well_behaved_client_passes_every_verdict(self):
        """Honours Retry-After, reconnects with a refreshed token after BYE AccessTokenExpired,
        refreshes once half the lifetime is gone, with scope and the rotated refresh token."""
        with self.fake("--token-lifetime", "3") as c:  # 3 s: slack for slow TLS handshakes
            pub = c.fx.ready["demo"]["public_client"]["client_id"]
            c.control("POST", "/faults/token", {"status": 429, "retry_after": 1, "count": 1})
            status, _, headers = c.token(**c.password_form())
            self.assertEqual(status, 429)
            time.sleep(int(headers["Retry-After"]))  # the client's back-off, as told
            t = c.ok_token(c.password_form())

            m = c.imap(ALICE, t["access_token"])
            m.select("INBOX", readonly=True)
            c.noop_until_bye(m)
            t = c.ok_token(c.refresh_form(t["refresh_token"]))
            acquired = time.monotonic()
            c.imap(ALICE, t["access_token"]).logout()  # reconnects with the new token
            time.sleep(max(0.0, acquired + t["expires_in"] / 2 + 0.1 - time.monotonic()))
            t = c.ok_token(c.refresh_form(t["refresh_token"]))  # half the lifetime is gone
            self.assertEqual(c.smtp_login(ALICE, t["access_token"]), 235)

            e = entry(c.verdicts(pub), ALICE)
            for name, v in e["verdicts"].items():
                self.assertEqual(v["result"], "pass", f"{name}: {json.dumps(v)}")
            self.assertEqual(e["result"], "pass")
            # A margin longer than the whole lifetime cannot be met: options per query.
            strict = entry(c.verdicts(pub, refresh_margin_s=5), ALICE)
            self.assertEqual(strict["verdicts"]["refreshes_before_expiry"]["result"], "fail")
            self.assertEqual(c.control("GET", "/verdicts?burst_window_ms=soon")[0], 400)
        self.assertEqual(entry(self.at_exit(pub), ALICE)["result"], "pass")


def main():
    global MAILHARNESS, DIR
    MAILHARNESS = os.path.abspath(sys.argv.pop(1))
    DIR = tempfile.mkdtemp(prefix="mh-verdicts-")
    try:
        unittest.main(verbosity=2)
    finally:
        shutil.rmtree(DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
