#!/usr/bin/python3
"""Interop: `mailharness login` against a real Dovecot 2.3 (IMAP, POP3, submission) whose
oauth2 passdb validates tokens through a local introspection endpoint (dovecot/fixture.py).

Usage: test_dovecot_login.py /path/to/mailharness
Every protocol x mechanism x TLS mode must pass with a valid token and fail with the right
class for an invalid token or a token of another user; no output may contain the token.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "dovecot"))
from fixture import DovecotFixture  # noqa: E402

MAILHARNESS = None
FX = None


def login(*args, token, env_extra=None):
    env = dict(os.environ)
    env["MH_TEST_TOKEN"] = token
    if env_extra:
        env.update(env_extra)
    cmd = [MAILHARNESS, "login", "--token-env", "MH_TEST_TOKEN", "--json", "--transcript",
           "--timeout", "20", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (rc={p.returncode}): {p.stdout!r} {p.stderr!r}")
    return p, out


class DovecotLogin(unittest.TestCase):
    def endpoint(self, proto, tls):
        ports = {("imap", "implicit"): FX.info["imaps"], ("imap", "starttls"): FX.info["imap"],
                 ("pop3", "implicit"): FX.info["pop3s"], ("pop3", "starttls"): FX.info["pop3"],
                 ("smtp", "starttls"): FX.info["submission"]}
        return ["--protocol", proto, "--host", "localhost", "--port", str(ports[(proto, tls)]),
                "--tls", tls, "--ca-file", FX.info["ca_file"]]

    def assert_no_secret(self, p, token):
        for stream in (p.stdout, p.stderr):
            self.assertNotIn(token, stream)

    def test_every_protocol_and_mechanism_passes(self):
        alice = FX.info["users"]["alice@example.test"]
        for proto, tls in [("imap", "implicit"), ("imap", "starttls"), ("pop3", "implicit"),
                           ("pop3", "starttls"), ("smtp", "starttls")]:
            for mech in ("xoauth2", "oauthbearer"):
                with self.subTest(proto=proto, tls=tls, mech=mech):
                    p, out = login(*self.endpoint(proto, tls), "--user", "alice@example.test",
                                   "--mech", mech, token=alice)
                    self.assertEqual(p.returncode, 0, out.get("error"))
                    self.assertEqual(out["verdict"], "pass")
                    self.assertEqual(out["mechanism"], mech.upper())
                    self.assertTrue(out["tls"]["verified"])
                    phases = [x["phase"] for x in out["phases"]]
                    self.assertIn("probe", phases)
                    self.assertIn("auth", phases)
                    if tls == "starttls":
                        self.assertIn("tls_upgrade", phases)
                    self.assert_no_secret(p, alice)

    def test_sasl_forms(self):
        alice = FX.info["users"]["alice@example.test"]
        for proto, tls, form in [("imap", "implicit", "two-step"),
                                 ("smtp", "starttls", "two-step"),
                                 ("pop3", "implicit", "initial-response")]:
            with self.subTest(proto=proto, form=form):
                p, out = login(*self.endpoint(proto, tls), "--user", "alice@example.test",
                               "--mech", "xoauth2", "--sasl-form", form, token=alice)
                self.assertEqual(p.returncode, 0, out.get("error"))
                self.assertEqual(out["sasl_form"], form)

    def test_invalid_token_is_rejected_in_auth(self):
        bad = FX.info["invalid_token"]
        for proto, tls in [("imap", "implicit"), ("pop3", "implicit"), ("smtp", "starttls")]:
            for mech in ("xoauth2", "oauthbearer"):
                with self.subTest(proto=proto, mech=mech):
                    p, out = login(*self.endpoint(proto, tls), "--user", "alice@example.test",
                                   "--mech", mech, token=bad)
                    self.assertEqual(p.returncode, 1)
                    self.assertEqual(out["verdict"], "fail")
                    self.assertEqual(out["error"]["class"], "rejected")
                    self.assertEqual(out["error"]["code"], "login_denied")
                    self.assertEqual(out["error"]["phase"], "auth")
                    self.assertIn("status", out["sasl_server_error"])  # Dovecot's error JSON
                    self.assert_no_secret(p, bad)

    def test_token_of_another_user_is_rejected(self):
        alice = FX.info["users"]["alice@example.test"]
        p, out = login(*self.endpoint("imap", "implicit"), "--user", "bob@example.test",
                       token=alice)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(out["error"]["code"], "login_denied")

    def test_untrusted_ca_is_a_tls_failure(self):
        alice = FX.info["users"]["alice@example.test"]
        args = self.endpoint("imap", "implicit")
        args[args.index("--ca-file") + 1] = "/etc/ssl/certs/ca-certificates.crt"
        p, out = login(*args, "--user", "alice@example.test", token=alice)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(out["error"]["class"], "tls")
        self.assertEqual(out["error"]["code"], "cert_untrusted")
        self.assertEqual(out["error"]["phase"], "tls")

    def test_human_output_has_the_phase_table(self):
        alice = FX.info["users"]["alice@example.test"]
        env = dict(os.environ, MH_TEST_TOKEN=alice)
        p = subprocess.run([MAILHARNESS, "login", *self.endpoint("smtp", "starttls"), "--user",
                            "alice@example.test", "--token-env", "MH_TEST_TOKEN"],
                           capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for word in ("phase", "tls_upgrade", "auth", "probe", "verdict: PASS"):
            self.assertIn(word, p.stdout)


def main():
    global MAILHARNESS, FX
    MAILHARNESS = os.path.abspath(sys.argv.pop(1))
    with tempfile.TemporaryDirectory(prefix="mh-dovecot-") as d:
        os.chmod(d, 0o711)
        with DovecotFixture(os.path.join(d, "fx")) as fx:
            FX = fx
            prog = unittest.main(exit=False, verbosity=2)
    result = prog.result
    print(f"{result.testsRun - len(result.failures) - len(result.errors)} passed, "
          f"{len(result.failures) + len(result.errors)} failed")
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
