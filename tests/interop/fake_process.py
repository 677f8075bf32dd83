"""Starts `mailharness fake` as a separate process for interop tests, waits on its ready
file (as CI users do) and stops it with SIGTERM. Also gets tokens from its token endpoint."""
import base64
import json
import os
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


class FakeExchange:
    def __init__(self, mailharness, *extra_args, dir=None):
        self.mailharness = mailharness
        self.extra = list(extra_args)
        self.dir = dir or tempfile.mkdtemp(prefix="mh-fake-")
        self.ready_path = os.path.join(self.dir, "ready.json")
        self.proc = None
        self.ready = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [self.mailharness, "fake", "--state-dir", os.path.join(self.dir, "state"),
             "--ready-file", self.ready_path, "--events-file",
             os.path.join(self.dir, "events.json"), *self.extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.ready_path):
            if self.proc.poll() is not None:
                raise RuntimeError("fake exited: " + self.proc.stderr.read().decode())
            if time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("fake not ready within 30 s")
            time.sleep(0.02)
        with open(self.ready_path) as f:
            self.ready = json.load(f)
        self.ssl = ssl.create_default_context(cafile=self.ready["ca_file"])
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            # What the fake printed, for tests that search its output (secrets, errors).
            self.output = (self.proc.stdout.read().decode(errors="replace"),
                           self.proc.stderr.read().decode(errors="replace"))
            self.proc.stdout.close()
            self.proc.stderr.close()

    def port(self, proto):
        return self.ready["endpoints"][proto]["port"]

    def events(self):
        url = self.ready["control"] + "/events"
        with urllib.request.urlopen(url, context=self.ssl, timeout=10) as r:
            return json.load(r)

    def token(self, client_id=None, secret=None, scope=None):
        demo = self.ready["demo"]["app"]
        body = urllib.parse.urlencode({
            "client_id": client_id or demo["client_id"],
            "client_secret": secret or demo["client_secret"],
            "scope": scope or demo["scope"],
            "grant_type": "client_credentials"}).encode()
        req = urllib.request.Request(self.ready["token_endpoint"], data=body, method="POST")
        with urllib.request.urlopen(req, context=self.ssl, timeout=10) as r:
            return json.load(r)["access_token"]

    def user_token(self, upn):
        """A delegated token by ROPC through the demo public client."""
        pub = self.ready["demo"]["public_client"]
        password = next(u["password"] for u in self.ready["demo"]["users"] if u["upn"] == upn)
        body = urllib.parse.urlencode({
            "client_id": pub["client_id"], "scope": pub["scope"], "grant_type": "password",
            "username": upn, "password": password}).encode()
        req = urllib.request.Request(self.ready["token_endpoint"], data=body, method="POST")
        with urllib.request.urlopen(req, context=self.ssl, timeout=10) as r:
            return json.load(r)["access_token"]


def xoauth2(user, token):
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_b64(user, token):
    return base64.b64encode(xoauth2(user, token).encode()).decode()
