#!/usr/bin/python3
"""Raw-socket self-test / wire-capture for the Dovecot OAuth fixture.

    probe.py                 # start a private fixture, run all checks, stop
    probe.py --dir DIR       # use a fixture already started in DIR
    probe.py -v              # also print every exchanged line (repr)

For IMAP(S), POP3(S) and submission it runs XOAUTH2 and OAUTHBEARER with:
a valid token (then EXAMINE/SELECT INBOX, STAT, MAIL FROM/RSET), an invalid
token, and alice's token sent as bob; both with a SASL initial response and
with an empty initial challenge. It checks capability advertisement and
STARTTLS on the plain ports. Exit status 0 iff every check passed.
Standard library only.
"""

import argparse
import base64
import json
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture  # noqa: E402

VERBOSE = False
FAILURES = []


def b64(s):
    return base64.b64encode(s.encode()).decode()


def xoauth2(user, token):
    return b64("user=%s\x01auth=Bearer %s\x01\x01" % (user, token))


def oauthbearer(user, token, host="localhost", port=0):
    return b64("n,a=%s,\x01host=%s\x01port=%d\x01auth=Bearer %s\x01\x01"
               % (user, host, port, token))


class Conn:
    def __init__(self, port, tls, ca):
        self.ca = ca
        self.port = port
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            s = self._ctx().wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.buf = b""
        self.log = []

    def _ctx(self):
        return ssl.create_default_context(cafile=self.ca)

    def starttls(self):
        self.s = self._ctx().wrap_socket(self.s, server_hostname="localhost")
        self.log.append("-- TLS established --")

    def send(self, line):
        self.log.append("C: %r" % (line + "\r\n"))
        self.s.sendall(line.encode() + b"\r\n")

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("server closed connection; got %r" % self.buf)
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        self.log.append("S: %r" % (ln + b"\r\n"))
        return ln.decode()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def check(cond, what, conn=None):
    if cond:
        print("ok   %s" % what)
    else:
        print("FAIL %s" % what)
        FAILURES.append(what)
        if conn is not None:
            print("\n".join("     " + l for l in conn.log))


def dump(title, conn):
    if VERBOSE:
        print("---- %s" % title)
        for l in conn.log:
            print("   " + l)


def decode_challenge(text):
    try:
        return base64.b64decode(text).decode()
    except Exception:
        return None


# ---------------------------------------------------------------- IMAP

def imap_tagged(c, tag):
    lines = []
    while True:
        l = c.line()
        lines.append(l)
        if l.startswith(tag + " ") or l.startswith("+"):
            return lines


def imap_session(info, name, mech, user, token, ir, reply_to_error):
    tls = name == "imaps"
    c = Conn(info[name], tls, info["ca_file"])
    greet = c.line()
    if not tls:
        c.send("a0 STARTTLS")
        r = imap_tagged(c, "a0")
        check(r[-1].startswith("a0 OK"), "imap STARTTLS ok", c)
        c.starttls()
        c.send("a0b CAPABILITY")
        caps = imap_tagged(c, "a0b")[0]
    else:
        caps = greet
    resp = (xoauth2 if mech == "XOAUTH2" else
            (lambda u, t: oauthbearer(u, t, port=info[name])))(user, token)
    if ir:
        c.send("a1 AUTHENTICATE %s %s" % (mech, resp))
    else:
        c.send("a1 AUTHENTICATE %s" % mech)
        l = c.line()
        check(l == "+ ", "%s %s no-IR: empty continuation '+ '" % (name, mech), c)
        c.send(resp)
    lines = imap_tagged(c, "a1")
    challenge = None
    if lines[-1].startswith("+"):
        challenge = lines[-1][2:]
        c.send(reply_to_error)
        lines = imap_tagged(c, "a1")
    final = lines[-1]
    return c, caps, challenge, final


def run_imap(info, name, valid, bad):
    alice = "alice@example.test"
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        for ir in (True, False):
            c, caps, ch, final = imap_session(info, name, mech, alice, valid[alice],
                                              ir, "")
            tagf = "%s %s %s" % (name, mech, "IR" if ir else "no-IR")
            check("AUTH=XOAUTH2" in caps and "AUTH=OAUTHBEARER" in caps,
                  "%s caps advertise AUTH=XOAUTH2 AUTH=OAUTHBEARER" % name, c)
            check(ch is None and final.startswith("a1 OK"), tagf + " valid login", c)
            c.send("a2 EXAMINE INBOX")
            check(imap_tagged(c, "a2")[-1].startswith("a2 OK"), tagf + " EXAMINE INBOX", c)
            c.send("a3 SELECT INBOX")
            check(imap_tagged(c, "a3")[-1].startswith("a3 OK"), tagf + " SELECT INBOX", c)
            c.send("a4 LOGOUT")
            imap_tagged(c, "a4")
            dump(tagf + " valid", c)
            c.close()
        # failures
        ereply = "" if mech == "XOAUTH2" else "AQ=="
        for label, user, tok in (("invalid token", alice, bad),
                                 ("alice token as bob", "bob@example.test",
                                  valid[alice])):
            c, caps, ch, final = imap_session(info, name, mech, user, tok, True, ereply)
            check(ch is not None, "%s %s %s: error challenge '+ %s' = %s"
                  % (name, mech, label, ch, decode_challenge(ch or "")), c)
            check(final.startswith("a1 NO"), "%s %s %s: final %r" % (name, mech, label, final), c)
            dump("%s %s %s" % (name, mech, label), c)
            c.close()
        # what if the client cancels with '*' instead of the dummy reply
        c, caps, ch, final = imap_session(info, name, mech, alice, bad, True, "*")
        check(final.startswith("a1 BAD") or final.startswith("a1 NO"),
              "%s %s invalid token, client answers '*': final %r" % (name, mech, final), c)
        dump("%s %s invalid token, cancel with *" % (name, mech), c)
        c.close()


# ---------------------------------------------------------------- POP3

def pop3_capa(c):
    c.send("CAPA")
    out = [c.line()]
    while out[-1] != ".":
        out.append(c.line())
    return out


def pop3_session(info, name, mech, user, token, ir, reply_to_error):
    tls = name == "pop3s"
    c = Conn(info[name], tls, info["ca_file"])
    c.line()
    if not tls:
        capa = pop3_capa(c)
        check("STLS" in capa, "pop3 CAPA advertises STLS", c)
        c.send("STLS")
        check(c.line().startswith("+OK"), "pop3 STLS ok", c)
        c.starttls()
    capa = pop3_capa(c)
    resp = (xoauth2 if mech == "XOAUTH2" else
            (lambda u, t: oauthbearer(u, t, port=info[name])))(user, token)
    if ir:
        c.send("AUTH %s %s" % (mech, resp))
    else:
        c.send("AUTH %s" % mech)
        l = c.line()
        check(l == "+ ", "%s %s no-IR: empty continuation '+ '" % (name, mech), c)
        c.send(resp)
    l = c.line()
    challenge = None
    if l.startswith("+ ") or l == "+":
        challenge = l[2:]
        c.send(reply_to_error)
        l = c.line()
    return c, capa, challenge, l


def run_pop3(info, name, valid, bad):
    alice = "alice@example.test"
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        for ir in (True, False):
            tagf = "%s %s %s" % (name, mech, "IR" if ir else "no-IR")
            c, capa, ch, final = pop3_session(info, name, mech, alice, valid[alice], ir, "")
            check("SASL XOAUTH2 OAUTHBEARER" in capa,
                  "%s CAPA has 'SASL XOAUTH2 OAUTHBEARER'" % name, c)
            check(ch is None and final.startswith("+OK"), tagf + " valid login", c)
            c.send("STAT")
            check(c.line().startswith("+OK"), tagf + " STAT", c)
            c.send("QUIT")
            c.line()
            dump(tagf + " valid", c)
            c.close()
        ereply = "" if mech == "XOAUTH2" else "AQ=="
        for label, user, tok in (("invalid token", alice, bad),
                                 ("alice token as bob", "bob@example.test",
                                  valid[alice])):
            c, capa, ch, final = pop3_session(info, name, mech, user, tok, True, ereply)
            check(ch is not None, "%s %s %s: error challenge '+ %s' = %s"
                  % (name, mech, label, ch, decode_challenge(ch or "")), c)
            check(final.startswith("-ERR"), "%s %s %s: final %r" % (name, mech, label, final), c)
            dump("%s %s %s" % (name, mech, label), c)
            c.close()
        c, capa, ch, final = pop3_session(info, name, mech, alice, bad, True, "*")
        check(final.startswith("-ERR"),
              "%s %s invalid token, client answers '*': final %r" % (name, mech, final), c)
        dump("%s %s invalid token, cancel with *" % (name, mech), c)
        c.close()


# ---------------------------------------------------------------- SMTP

def smtp_reply(c):
    lines = [c.line()]
    while len(lines[-1]) > 3 and lines[-1][3] == "-":
        lines.append(c.line())
    return lines


def smtp_session(info, mech, user, token, ir, reply_to_error):
    c = Conn(info["submission"], False, info["ca_file"])
    smtp_reply(c)
    c.send("EHLO client.localhost")
    pre = smtp_reply(c)
    c.send("STARTTLS")
    check(smtp_reply(c)[-1].startswith("220"), "submission STARTTLS ok", c)
    c.starttls()
    c.send("EHLO client.localhost")
    ehlo = smtp_reply(c)
    resp = (xoauth2 if mech == "XOAUTH2" else
            (lambda u, t: oauthbearer(u, t, port=info["submission"])))(user, token)
    if ir:
        c.send("AUTH %s %s" % (mech, resp))
    else:
        c.send("AUTH %s" % mech)
        l = c.line()
        check(l == "334 ", "submission %s no-IR: empty continuation '334 '" % mech, c)
        c.send(resp)
    r = smtp_reply(c)
    challenge = None
    if r[-1].startswith("334"):
        challenge = r[-1][4:]
        c.send(reply_to_error)
        r = smtp_reply(c)
    return c, pre, ehlo, challenge, r[-1]


def run_smtp(info, valid, bad):
    alice = "alice@example.test"
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        for ir in (True, False):
            tagf = "submission %s %s" % (mech, "IR" if ir else "no-IR")
            c, pre, ehlo, ch, final = smtp_session(info, mech, alice, valid[alice], ir, "")
            check(any(l[4:] == "AUTH XOAUTH2 OAUTHBEARER" for l in ehlo),
                  "submission EHLO after STARTTLS has 'AUTH XOAUTH2 OAUTHBEARER'", c)
            check(any(l[4:] == "STARTTLS" for l in pre), "submission EHLO has STARTTLS", c)
            check(ch is None and final.startswith("235"), tagf + " valid login", c)
            c.send("MAIL FROM:<alice@example.test>")
            check(smtp_reply(c)[-1].startswith("250"), tagf + " MAIL FROM 250", c)
            c.send("RSET")
            check(smtp_reply(c)[-1].startswith("250"), tagf + " RSET 250", c)
            c.send("QUIT")
            smtp_reply(c)
            dump(tagf + " valid", c)
            c.close()
        ereply = "" if mech == "XOAUTH2" else "AQ=="
        for label, user, tok in (("invalid token", alice, bad),
                                 ("alice token as bob", "bob@example.test",
                                  valid[alice])):
            c, pre, ehlo, ch, final = smtp_session(info, mech, user, tok, True, ereply)
            check(ch is not None, "submission %s %s: error challenge '334 %s' = %s"
                  % (mech, label, ch, decode_challenge(ch or "")), c)
            check(final.startswith("535"), "submission %s %s: final %r" % (mech, label, final), c)
            dump("submission %s %s" % (mech, label), c)
            c.close()
        c, pre, ehlo, ch, final = smtp_session(info, mech, alice, bad, True, "*")
        check(final[:1] in ("5",),
              "submission %s invalid token, client answers '*': final %r" % (mech, final), c)
        dump("submission %s invalid token, cancel with *" % mech, c)
        c.close()


def run_all(info):
    valid = info["users"]
    bad = info["invalid_token"]
    for name in ("imaps", "imap"):
        run_imap(info, name, valid, bad)
    for name in ("pop3s", "pop3"):
        run_pop3(info, name, valid, bad)
    run_smtp(info, valid, bad)


def main():
    global VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", help="use an already started fixture in DIR")
    ap.add_argument("-v", action="store_true", help="print wire transcripts")
    a = ap.parse_args()
    VERBOSE = a.v
    if a.dir:
        with open(os.path.join(a.dir, "fixture.json")) as f:
            run_all(json.load(f))
    else:
        with fixture.DovecotFixture() as fx:
            run_all(fx.info)
    print("%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
