#!/usr/bin/python3
"""Interop: real clients against `mailharness fake` run as a separate process, reached
through its ready file: Python's imaplib, poplib and smtplib (full sessions: fetch,
retrieve, send then receive) and curl (--oauth2-bearer over imaps, pop3s, smtp+STARTTLS).

Usage: test_fake_clients.py /path/to/mailharness
"""
import email
import json
import urllib.error
import imaplib
import os
import poplib
import shutil
import smtplib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_process import FakeExchange, xoauth2, xoauth2_b64  # noqa: E402

MAILHARNESS = None
FX = None
ALICE = "alice@contoso.onmicrosoft.com"
BOB = "bob@contoso.onmicrosoft.com"


class PythonClients(unittest.TestCase):
    def imap(self):
        return imaplib.IMAP4_SSL("localhost", FX.port("imap"), ssl_context=FX.ssl)

    def test_imaplib_full_session(self):
        tok = FX.token()
        m = self.imap()
        self.assertIn(b"The Microsoft Exchange IMAP4 service is ready.", m.welcome)
        typ, _ = m.authenticate("XOAUTH2", lambda _: xoauth2(ALICE, tok).encode())
        self.assertEqual(typ, "OK")
        typ, data = m.list()
        self.assertEqual(typ, "OK")
        self.assertIn(b"INBOX", data[0])
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        count = int(data[0])
        self.assertGreaterEqual(count, 3)
        typ, data = m.search(None, "ALL")
        self.assertEqual(len(data[0].split()), count)
        typ, data = m.fetch(b"1", "(RFC822)")
        msg = email.message_from_bytes(data[0][1])
        self.assertEqual(msg["Subject"], "Quarterly numbers")
        typ, data = m.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch(b"1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"Subject: Quarterly numbers", data[0][1])
        typ, _ = m.store(b"3", "+FLAGS", "\\Deleted")
        self.assertEqual(typ, "OK")
        typ, data = m.expunge()
        self.assertEqual(data[0], b"3")
        m.close()
        self.assertEqual(m.logout()[0], "BYE")

    def test_imaplib_wrong_audience_is_authenticate_failed(self):
        graph = FX.token(scope="https://graph.microsoft.com/.default")
        m = self.imap()
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            m.authenticate("XOAUTH2", lambda _: xoauth2(ALICE, graph).encode())
        self.assertIn("AUTHENTICATE failed", str(cm.exception))

    def test_poplib_two_step_session(self):
        tok = FX.token()
        p = poplib.POP3_SSL("localhost", FX.port("pop3"), context=FX.ssl)
        self.assertIn(b"The Microsoft Exchange POP3 service is ready.", p.getwelcome())
        self.assertIn("XOAUTH2", p.capa()["SASL"])
        self.assertTrue(p._shortcmd("AUTH XOAUTH2").startswith(b"+"))
        self.assertEqual(p._shortcmd(xoauth2_b64(BOB, tok)),
                         b"+OK User successfully authenticated.")
        count, size = p.stat()
        self.assertGreaterEqual(count, 1)
        resp, lines, _ = p.retr(1)
        self.assertTrue(any(l.startswith(b"Subject:") for l in lines))
        self.assertTrue(p.uidl()[0].startswith(b"+OK"))
        p.quit()

    def test_poplib_initial_response_is_refused(self):
        tok = FX.token()
        p = poplib.POP3_SSL("localhost", FX.port("pop3"), context=FX.ssl)
        with self.assertRaises(poplib.error_proto) as cm:
            p._shortcmd("AUTH XOAUTH2 " + xoauth2_b64(ALICE, tok))
        self.assertIn(b"Protocol error. Connection is closed. 10", cm.exception.args[0])

    def test_smtplib_send_then_imap_receive(self):
        tok = FX.token()
        s = smtplib.SMTP("localhost", FX.port("smtp"), timeout=20)
        s.ehlo("client.example")
        self.assertTrue(s.has_extn("starttls"))
        self.assertFalse(s.has_extn("auth"))
        s.starttls(context=FX.ssl)
        s.ehlo("client.example")
        self.assertEqual(s.esmtp_features["auth"].strip(), "LOGIN XOAUTH2")
        code, _ = s.auth("XOAUTH2", lambda challenge=None: xoauth2(ALICE, tok),
                         initial_response_ok=True)
        self.assertEqual(code, 235)
        subject = "interop " + os.urandom(4).hex()
        s.sendmail(ALICE, [BOB], f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\nhi\r\n")
        s.quit()
        m = self.imap()
        m.authenticate("XOAUTH2", lambda _: xoauth2(BOB, tok).encode())
        m.select("INBOX", readonly=True)
        typ, data = m.search(None, "SUBJECT", '"' + subject + '"')
        self.assertEqual(len(data[0].split()), 1)
        m.logout()

    def test_smtplib_send_as_denied(self):
        tok = FX.user_token(BOB)  # Bob has no Send As right on Alice's address
        s = smtplib.SMTP("localhost", FX.port("smtp"), timeout=20)
        s.starttls(context=FX.ssl)
        s.ehlo("client.example")
        s.auth("XOAUTH2", lambda challenge=None: xoauth2(BOB, tok), initial_response_ok=True)
        with self.assertRaises(smtplib.SMTPSenderRefused) as cm:
            s.sendmail(ALICE, [BOB], "Subject: x\r\n\r\nx\r\n")
        self.assertEqual(cm.exception.smtp_code, 550)
        self.assertIn(b"5.7.60", cm.exception.smtp_error)
        s.quit()


@unittest.skipUnless(shutil.which("curl"), "curl not installed")
class Curl(unittest.TestCase):
    def curl(self, *args):
        return subprocess.run(["curl", "-sS", "--cacert", FX.ready["ca_file"], "--max-time", "20",
                               *args], capture_output=True, text=True, timeout=60)

    def test_imaps_list_and_fetch(self):
        tok = FX.token()
        r = self.curl(f"imaps://localhost:{FX.port('imap')}/INBOX;UID=1",
                      "-u", ALICE + ":", "--oauth2-bearer", tok)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Subject:", r.stdout)

    def test_pop3s_retrieve(self):
        tok = FX.token()
        r = self.curl(f"pop3s://localhost:{FX.port('pop3')}/1", "-u", ALICE + ":",
                      "--oauth2-bearer", tok)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Subject:", r.stdout)

    def test_smtp_starttls_send(self):
        tok = FX.token()
        with tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False) as f:
            f.write(f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: curl\r\n\r\nfrom curl\r\n")
        try:
            r = self.curl(f"smtp://localhost:{FX.port('smtp')}", "--ssl-reqd",
                          "--mail-from", ALICE, "--mail-rcpt", BOB, "-T", f.name,
                          "-u", ALICE + ":", "--oauth2-bearer", tok)
        finally:
            os.unlink(f.name)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_invalid_token_is_login_denied(self):
        r = self.curl(f"imaps://localhost:{FX.port('imap')}/", "-u", ALICE + ":",
                      "--oauth2-bearer", "not-a-token")
        self.assertEqual(r.returncode, 67, r.stderr)  # CURLE_LOGIN_DENIED


class MailharnessLogin(unittest.TestCase):
    """`mailharness login` against the fake: the good app passes everywhere, each broken
    app or mailbox fails with the reply Exchange gives."""

    @classmethod
    def setUpClass(cls):
        out = subprocess.run([MAILHARNESS, "fake", "--print-tenant"], capture_output=True,
                             text=True, check=True).stdout
        cls.apps = {a["key"]: a for a in json.loads(out)["apps"]}

    def token_for(self, key):
        app = self.apps[key]
        return FX.token(app["client_id"], app["secrets"][0]["value"])

    def login(self, proto, user, token):
        env = dict(os.environ, MH_TOKEN=token)
        p = subprocess.run([MAILHARNESS, "login", "--protocol", proto, "--host", "localhost",
                            "--port", str(FX.port(proto)), "--user", user, "--token-env",
                            "MH_TOKEN", "--ca-file", FX.ready["ca_file"], "--json"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertNotIn(token, p.stdout + p.stderr)
        return p.returncode, json.loads(p.stdout)

    def assert_fails(self, proto, user, token, phase, reply):
        rc, out = self.login(proto, user, token)
        self.assertEqual(rc, 1, out)
        self.assertEqual(out["error"]["phase"], phase, out["error"])
        self.assertTrue(out["error"]["reply"].startswith(reply), out["error"]["reply"])

    def test_good_app_passes_everywhere(self):
        tok = self.token_for("good")
        for proto in ("imap", "pop3", "smtp"):
            with self.subTest(proto=proto):
                rc, out = self.login(proto, ALICE, tok)
                self.assertEqual(rc, 0, out["error"])

    def test_each_broken_app(self):
        for key in ("no-permission", "no-consent", "no-service-principal", "wrong-object-id"):
            tok = self.token_for(key)
            with self.subTest(app=key):
                self.assert_fails("imap", ALICE, tok, "auth", "A002 NO AUTHENTICATE failed.")
                self.assert_fails("pop3", ALICE, tok, "auth", "-ERR Authentication failure")
                self.assert_fails("smtp", ALICE, tok, "auth", "535 5.7.3 Authentication unsuccessful")
        tok = self.token_for("imap-only")
        self.assertEqual(self.login("imap", ALICE, tok)[0], 0)
        self.assert_fails("smtp", ALICE, tok, "auth", "535 5.7.3")

    def test_expired_secret_fails_at_the_token_endpoint(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            self.token_for("expired-secret")
        self.assertEqual(cm.exception.code, 401)
        body = json.loads(cm.exception.read())
        self.assertEqual(body["error"], "invalid_client")
        self.assertEqual(body["error_codes"], [7000222])
        self.assertTrue(body["error_description"].startswith("AADSTS7000222: "))
        self.assertIn("\r\nTrace ID: ", body["error_description"])

    def test_each_broken_mailbox(self):
        tok = self.token_for("good")
        d = "@contoso.onmicrosoft.com"
        self.assert_fails("imap", "no-fullaccess" + d, tok, "probe",
                          "A004 BAD User is authenticated but not connected.")
        self.assert_fails("imap", "imap-disabled" + d, tok, "probe",
                          "A004 BAD User is authenticated but not connected.")
        self.assert_fails("pop3", "pop-disabled" + d, tok, "auth", "-ERR Authentication failure")
        self.assert_fails("smtp", "smtp-disabled" + d, tok, "auth",
                          "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                          "disabled for the Mailbox.")
        self.assert_fails("smtp", "smtp-tenant-default" + d, tok, "auth",
                          "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                          "disabled for the Tenant.")

    def test_delegated_users(self):
        tok = FX.user_token(ALICE)
        self.assertEqual(self.login("imap", ALICE, tok)[0], 0)
        self.assertEqual(self.login("smtp", ALICE, tok)[0], 0)
        self.assertEqual(self.login("imap", "shared@contoso.onmicrosoft.com", tok)[0], 0)
        for upn, code in (("carol@contoso.onmicrosoft.com", 50076),
                          ("dave@contoso.onmicrosoft.com", 53003),
                          ("erin@contoso.onmicrosoft.com", 50057)):
            with self.subTest(user=upn):
                with self.assertRaises(urllib.error.HTTPError) as cm:
                    FX.user_token(upn)
                self.assertEqual(json.loads(cm.exception.read())["error_codes"], [code])


class ControlApi(unittest.TestCase):
    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(FX.ready["control"] + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=FX.ssl, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_mail_fault_while_running(self):
        status, body = self.call("POST", "/faults/mail", {
            "protocol": "imap", "command": "AUTHENTICATE", "action": "reply",
            "text": "{tag} NO [UNAVAILABLE] Try again later.", "times": 1})
        self.assertEqual(status, 200, body)
        m = imaplib.IMAP4_SSL("localhost", FX.port("imap"), ssl_context=FX.ssl)
        with self.assertRaises(imaplib.IMAP4.error) as cm:
            m.authenticate("XOAUTH2", lambda _: xoauth2(ALICE, FX.token()).encode())
        self.assertIn("Try again later", str(cm.exception))
        m.authenticate("XOAUTH2", lambda _: xoauth2(ALICE, FX.token()).encode())  # consumed
        m.logout()
        self.assertEqual(self.call("GET", "/faults/mail")[1]["faults"], [])

    def test_bad_fault_is_a_400_json_error(self):
        status, body = self.call("POST", "/faults/mail", {"protocol": "imap", "action": "explode"})
        self.assertEqual(status, 400)
        self.assertIn("action", body["error_description"])

    def test_events_are_queryable_and_hold_no_secret(self):
        tok = FX.token()
        m = imaplib.IMAP4_SSL("localhost", FX.port("imap"), ssl_context=FX.ssl)
        m.authenticate("XOAUTH2", lambda _: xoauth2(ALICE, tok).encode())
        m.logout()
        events = FX.events()
        auth = [e for e in events if e["kind"] == "imap.auth"]
        self.assertTrue(auth)
        self.assertEqual(auth[-1]["data"]["verdict"], "ok")
        self.assertNotIn(tok, json.dumps(events))
        self.assertNotIn(FX.ready["demo"]["app"]["client_secret"], json.dumps(events))


class Persistence(unittest.TestCase):
    def test_persist_mail_keeps_delivered_mail_across_restarts(self):
        d = tempfile.mkdtemp(prefix="mh-persist-")
        subject = "persisted " + os.urandom(4).hex()
        with FakeExchange(MAILHARNESS, "--persist-mail", dir=d) as fx:
            s = smtplib.SMTP("localhost", fx.port("smtp"), timeout=20)
            s.starttls(context=fx.ssl)
            s.ehlo("client.example")
            s.auth("XOAUTH2", lambda challenge=None: xoauth2(ALICE, fx.token()),
                   initial_response_ok=True)
            s.sendmail(ALICE, [BOB], f"Subject: {subject}\r\n\r\nkept\r\n")
            s.quit()
        self.assertTrue(os.path.exists(os.path.join(d, "state", "mail.json")))
        with FakeExchange(MAILHARNESS, "--persist-mail", dir=d) as fx:
            m = imaplib.IMAP4_SSL("localhost", fx.port("imap"), ssl_context=fx.ssl)
            m.authenticate("XOAUTH2", lambda _: xoauth2(BOB, fx.token()).encode())
            m.select("INBOX", readonly=True)
            typ, data = m.search(None, "SUBJECT", '"' + subject + '"')
            self.assertEqual(len(data[0].split()), 1)
            m.logout()
        shutil.rmtree(d, ignore_errors=True)


def main():
    global MAILHARNESS, FX
    MAILHARNESS = os.path.abspath(sys.argv.pop(1))
    with FakeExchange(MAILHARNESS) as fx:
        FX = fx
        prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    failed = len(r.failures) + len(r.errors)
    print(f"{r.testsRun - failed - len(r.skipped)} passed, {failed} failed, {len(r.skipped)} skipped")
    sys.exit(0 if r.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
