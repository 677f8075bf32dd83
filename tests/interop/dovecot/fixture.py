#!/usr/bin/python3
"""Self-contained Dovecot interop fixture for mailharness OAuth tests.

Starts a private Dovecot 2.3 instance (IMAP/IMAPS, POP3/POP3S, submission
with STARTTLS) whose only auth mechanisms are XOAUTH2 and OAUTHBEARER,
validated by Dovecot's oauth2 passdb against a tiny RFC 7662-style token
introspection endpoint run by this script. Submission relays to a tiny
loopback SMTP sink, also run by this script.

Everything binds to 127.0.0.1 on ephemeral ports chosen at runtime and all
state (certs, config, sockets, logs, maildirs) lives inside one directory.

CLI:
    fixture.py start --dir DIR [--debug]   -> prints one JSON line, exits 0
    fixture.py stop  --dir DIR             -> stops everything, idempotent

Python:
    from fixture import DovecotFixture
    with DovecotFixture("/tmp/x") as fx:
        fx.info["imaps"], fx.users["alice@example.test"], fx.ca_file, ...

Only the Python standard library is used. Must run as root (Dovecot master).
"""

import argparse
import json
import os
import pwd
import grp
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

USERS = ("alice@example.test", "bob@example.test")
# Unprivileged uid/gid the mail processes (imap, pop3, submission) run as.
MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
STATE_FILE = "fixture-state.json"
HELPER_FILE = "helper.json"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DH_FILE = "/usr/share/dovecot/dh.pem"


class FixtureError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# helper process: token introspection endpoint + SMTP sink
# --------------------------------------------------------------------------

def _serve(dirpath):
    """Runs in a background process (`fixture.py _serve --dir DIR`)."""
    import http.server
    import socketserver
    import urllib.parse

    with open(os.path.join(dirpath, "tokens.json")) as f:
        tokens = json.load(f)  # token -> username
    log_lock = threading.Lock()
    logf = open(os.path.join(dirpath, "helper.log"), "a", buffering=1)
    sink_dir = os.path.join(dirpath, "sink")
    os.makedirs(sink_dir, exist_ok=True)

    def log(msg):
        with log_lock:
            logf.write("%.3f %s\n" % (time.time(), msg))

    class Introspect(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            log("http " + (fmt % args))

        def _token(self, body):
            auth = self.headers.get("Authorization", "")
            if auth.lower().startswith("bearer "):
                return auth[7:].strip()
            url = urllib.parse.urlsplit(self.path)
            for src in (body, url.query):
                q = urllib.parse.parse_qs(src, keep_blank_values=True)
                for k in ("token", "access_token"):
                    if k in q:
                        return q[k][0]
            # tokeninfo style: token appended to path, e.g. /tokeninfo/<tok>
            last = url.path.rsplit("/", 1)[-1]
            return urllib.parse.unquote(last)

        def _answer(self, body):
            tok = self._token(body)
            user = tokens.get(tok)
            if user is not None:
                resp = {"active": True, "username": user, "email": user,
                        "scope": "mail", "token_type": "Bearer",
                        "exp": int(time.time()) + 3600}
            else:
                resp = {"active": False}
            log("introspect token=%s... -> %s" % (tok[:8], json.dumps(resp)))
            data = json.dumps(resp).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._answer("")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
            self._answer(body)

    class HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    class SinkHandler(socketserver.StreamRequestHandler):
        """Minimal SMTP sink: accepts everything, stores DATA in sink/."""

        def send(self, line):
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self):
            log("smtp connect from %s" % (self.client_address,))
            self.send("220 sink.localhost ESMTP mailharness-sink")
            while True:
                raw = self.rfile.readline(65536)
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                log("smtp C: " + line)
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "LHLO"):
                    self.send("250-sink.localhost")
                    self.send("250-PIPELINING")
                    self.send("250-8BITMIME")
                    self.send("250-ENHANCEDSTATUSCODES")
                    self.send("250 SIZE 10240000")
                elif verb == "HELO":
                    self.send("250 sink.localhost")
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    self.send("250 2.0.0 OK")
                elif verb == "VRFY":
                    self.send("252 2.0.0 Cannot VRFY user")
                elif verb == "DATA":
                    self.send("354 End data with <CR><LF>.<CR><LF>")
                    chunks = []
                    while True:
                        d = self.rfile.readline(65536)
                        if not d or d in (b".\r\n", b".\n"):
                            break
                        chunks.append(d[1:] if d.startswith(b"..") else d)
                    fd, _ = tempfile.mkstemp(prefix="msg-", suffix=".eml",
                                             dir=sink_dir)
                    with os.fdopen(fd, "wb") as f:
                        f.write(b"".join(chunks))
                    self.send("250 2.0.0 OK queued")
                elif verb == "QUIT":
                    self.send("221 2.0.0 Bye")
                    return
                else:
                    self.send("502 5.5.2 Command not implemented")

    class SMTPServer(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    httpd = HTTPServer(("127.0.0.1", 0), Introspect)
    smtpd = SMTPServer(("127.0.0.1", 0), SinkHandler)
    for srv in (httpd, smtpd):
        threading.Thread(target=srv.serve_forever, daemon=True).start()

    def _bye(*_):
        log("helper exiting")
        os._exit(0)

    signal.signal(signal.SIGTERM, _bye)
    signal.signal(signal.SIGINT, _bye)
    info = {"pid": os.getpid(), "http_port": httpd.server_address[1],
            "smtp_port": smtpd.server_address[1]}
    tmp = os.path.join(dirpath, HELPER_FILE + ".tmp")
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.rename(tmp, os.path.join(dirpath, HELPER_FILE))
    log("helper ready %s" % json.dumps(info))
    while True:
        signal.pause()


# --------------------------------------------------------------------------
# process helpers
# --------------------------------------------------------------------------

def _proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    # comm may contain spaces/parens; fields after the last ')'
    rest = data[data.rindex(")") + 2:].split()
    return {"state": rest[0], "ppid": int(rest[1]), "pgrp": int(rest[2])}


def _alive(pid):
    st = _proc_stat(pid)
    return st is not None and st["state"] not in ("Z", "X")


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    except OSError:
        pass


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def _descendants(pid):
    """All live descendant pids of pid (from /proc)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _proc_stat(int(name))
        if st:
            children.setdefault(st["ppid"], []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_dead(pids, deadline):
    while time.monotonic() < deadline:
        for p in pids:
            _reap(p)
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def _spawn(argv, out_path):
    """Start a detached background process (own session, stdin=/dev/null,
    stdout+stderr appended to out_path). posix_spawn rather than Popen: no
    Popen object to warn about or to keep alive after `start` returns."""
    fa = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, out_path,
           os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
          (os.POSIX_SPAWN_DUP2, 1, 2)]
    return os.posix_spawn(argv[0], argv, dict(os.environ),
                          file_actions=fa, setsid=True)


def _exit_status(pid):
    """None while pid runs; else its exit code (reaped if our child)."""
    try:
        r, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if _alive(pid) else -1
    if r == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _free_ports(n):
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


# --------------------------------------------------------------------------
# certificates
# --------------------------------------------------------------------------

def _run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise FixtureError("command failed: %s\n%s" % (
            " ".join(cmd), r.stdout.decode("utf-8", "replace")))


def _make_certs(d):
    ext = os.path.join(d, "server-ext.cnf")
    with open(ext, "w") as f:
        f.write("basicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
                "subjectKeyIdentifier = hash\n"
                "authorityKeyIdentifier = keyid\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
          "-days", "30", "-sha256", "-subj", "/CN=mailharness dovecot test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _run(["openssl", "req", "-new", *ec, "-keyout", "server.key",
          "-out", "server.csr", "-subj", "/CN=localhost"], d)
    _run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
          "-CAkey", "ca.key", "-set_serial", "0x" + secrets.token_hex(8),
          "-days", "30", "-sha256", "-extfile", ext, "-out", "server.pem"], d)
    os.chmod(os.path.join(d, "server.key"), 0o600)
    os.chmod(os.path.join(d, "ca.key"), 0o600)


# --------------------------------------------------------------------------
# dovecot config
# --------------------------------------------------------------------------

def _write_config(d, ports, helper, debug):
    uid = pwd.getpwnam(MAIL_USER).pw_uid
    gid = grp.getgrnam(MAIL_GROUP).gr_gid
    oauth_conf = os.path.join(d, "dovecot-oauth2.conf.ext")
    with open(oauth_conf, "w") as f:
        f.write(
            "# RFC 7662 style introspection: POST token=<token>\n"
            "introspection_mode = post\n"
            "introspection_url = http://127.0.0.1:%d/introspect\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
            "timeout_msecs = 5000\n"
            "debug = %s\n" % (helper["http_port"], "yes" if debug else "no"))
    conf = """\
# Generated by tests/interop/dovecot/fixture.py -- standalone, no conf.d
instance_name = mailharness-{inst}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
debug_log_path = {d}/dovecot.log
listen = 127.0.0.1
protocols = imap pop3 submission
hostname = localhost
login_greeting = Dovecot ready.
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
last_valid_uid = 0
first_valid_gid = 1
shutdown_clients = yes
verbose_proctitle = yes

ssl = yes
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.key
{dh}
ssl_min_protocol = TLSv1.2

disable_plaintext_auth = yes
auth_mechanisms = xoauth2 oauthbearer
auth_failure_delay = 0
auth_cache_size = 0
auth_verbose = yes
auth_debug = {debug}
mail_debug = {debug}

passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth_conf}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%d/%n allow_all_users=yes
}}

mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv

submission_relay_host = 127.0.0.1
submission_relay_port = {smtp}
submission_relay_trusted = no
submission_relay_ssl = no

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s}
    ssl = yes
  }}
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {submission}
  }}
}}
# no anvil auth penalty: tests fail logins on purpose from 127.0.0.1 and
# would otherwise wait up to 15 s per failure
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""".format(inst=os.path.basename(d) or "x", d=d, uid=uid, gid=gid,
           dh=("ssl_dh = <%s" % DH_FILE) if os.path.exists(DH_FILE) else "",
           debug="yes" if debug else "no", oauth_conf=oauth_conf,
           smtp=helper["smtp_port"], **ports)
    path = os.path.join(d, "dovecot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


# --------------------------------------------------------------------------
# readiness probes
# --------------------------------------------------------------------------

_GREETING = {"imap": b"* OK", "imaps": b"* OK", "pop3": b"+OK",
             "pop3s": b"+OK", "submission": b"220 "}


def _probe(name, port, ca_file, timeout):
    """Connect and read the greeting (TLS-handshake first for implicit TLS)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if name in ("imaps", "pop3s"):
            ctx = ssl.create_default_context(cafile=ca_file)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        buf = b""
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("connection closed before greeting")
            buf += chunk
        if not buf.startswith(_GREETING[name]):
            raise OSError("unexpected greeting %r" % buf)
    finally:
        s.close()


def _read_log(d, limit=20000):
    out = []
    for name in ("dovecot.log", "dovecot.stderr", "helper.log", "helper.stderr"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                data = f.read()[-limit:].decode("utf-8", "replace")
            out.append("==== %s ====\n%s" % (p, data))
    return "\n".join(out)


# --------------------------------------------------------------------------
# start / stop
# --------------------------------------------------------------------------

def _save_state(d, state):
    tmp = os.path.join(d, STATE_FILE + ".tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.rename(tmp, os.path.join(d, STATE_FILE))


def _load_state(d):
    try:
        with open(os.path.join(d, STATE_FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _check_traversable(d):
    """The mail uid must be able to reach DIR/mail."""
    uid = pwd.getpwnam(MAIL_USER).pw_uid
    p = os.path.dirname(d)
    while True:
        st = os.stat(p)
        if not (st.st_mode & 0o001) and st.st_uid != uid:
            raise FixtureError(
                "directory %s is not traversable by %s (mode %o); the Dovecot "
                "mail processes could not reach %s/mail. Use a DIR whose "
                "parents are world-executable (e.g. under /tmp)."
                % (p, MAIL_USER, st.st_mode & 0o7777, d))
        if p == "/":
            break
        p = os.path.dirname(p)


def start(dirpath, debug=False, timeout=START_TIMEOUT):
    """Start the fixture; returns the info dict (also saved to DIR)."""
    if os.geteuid() != 0:
        raise FixtureError("fixture must run as root (Dovecot master)")
    d = os.path.abspath(dirpath)
    old = _load_state(d) if os.path.isdir(d) else None
    if old and any(_alive(p) for p in old.get("pids", [])):
        raise FixtureError("fixture already running in %s (run stop first)" % d)
    deadline = time.monotonic() + timeout
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o711)
    _check_traversable(d)
    for name in (HELPER_FILE, STATE_FILE, "dovecot.log", "fixture.json"):
        try:
            os.unlink(os.path.join(d, name))
        except FileNotFoundError:
            pass

    uid = pwd.getpwnam(MAIL_USER).pw_uid
    gid = grp.getgrnam(MAIL_GROUP).gr_gid
    maildir = os.path.join(d, "mail")
    os.makedirs(maildir, exist_ok=True)
    os.chown(maildir, uid, gid)
    os.chmod(maildir, 0o700)

    users = {u: secrets.token_urlsafe(32) for u in USERS}
    invalid = secrets.token_urlsafe(32)
    with open(os.path.join(d, "tokens.json"), "w") as f:
        json.dump({t: u for u, t in users.items()}, f)
    os.chmod(os.path.join(d, "tokens.json"), 0o600)

    state = {"dir": d, "pids": [], "dovecot_pid": None, "helper_pid": None}

    def fail(msg):
        _stop_pids(d, state)
        raise FixtureError(msg + "\n" + _read_log(d))

    # 1. helper (introspection + SMTP sink); starts while we make certs.
    helper_pid = _spawn(
        [PYTHON, "-I", os.path.abspath(__file__), "_serve", "--dir", d],
        os.path.join(d, "helper.stderr"))
    state["helper_pid"] = helper_pid
    state["pids"].append(helper_pid)
    _save_state(d, state)

    try:
        _make_certs(d)
    except FixtureError as e:
        fail(str(e))
    ca_file = os.path.join(d, "ca.pem")

    hinfo = None
    while time.monotonic() < deadline:
        try:
            with open(os.path.join(d, HELPER_FILE)) as f:
                hinfo = json.load(f)
            break
        except (OSError, ValueError):
            rc = _exit_status(helper_pid)
            if rc is not None:
                fail("introspection helper exited with %s" % rc)
            time.sleep(0.02)
    if hinfo is None:
        fail("timeout waiting for introspection helper")

    # 2. dovecot; retry with fresh ports if a port got stolen meanwhile.
    names = ("imap", "imaps", "pop3", "pop3s", "submission")
    ports = None
    for attempt in range(3):
        ports = dict(zip(names, _free_ports(len(names))))
        conf = _write_config(d, ports, hinfo, debug)
        errp = os.path.join(d, "dovecot.stderr")
        err_off = os.path.getsize(errp) if os.path.exists(errp) else 0
        dov_pid = _spawn([DOVECOT, "-F", "-c", conf], errp)
        state["dovecot_pid"] = dov_pid
        state["pids"] = [dov_pid, helper_pid]
        _save_state(d, state)

        pending = list(names)
        last_err = None
        dov_rc = None
        while pending and time.monotonic() < deadline:
            dov_rc = _exit_status(dov_pid)
            if dov_rc is not None:
                break
            name = pending[0]
            try:
                _probe(name, ports[name], ca_file,
                       max(0.1, min(2.0, deadline - time.monotonic())))
                pending.pop(0)
            except (OSError, ssl.SSLError) as e:
                last_err = "%s:%d %s" % (name, ports[name], e)
                time.sleep(0.03)
        if not pending:
            break
        if dov_rc is not None:
            new = b""
            for pth, off in ((errp, err_off),
                             (os.path.join(d, "dovecot.log"), 0)):
                if os.path.exists(pth):
                    with open(pth, "rb") as f:
                        f.seek(off)
                        new += f.read()
            if (b"in use" in new and attempt < 2
                    and time.monotonic() < deadline):
                state["pids"] = [helper_pid]
                state["dovecot_pid"] = None
                logp = os.path.join(d, "dovecot.log")
                if os.path.exists(logp):
                    os.rename(logp, "%s.attempt%d" % (logp, attempt))
                continue
            fail("dovecot exited with status %s during startup" % dov_rc)
        fail("timeout (%.0fs) waiting for dovecot listeners (last error: %s)"
             % (timeout, last_err))

    info = {"ca_file": ca_file, **ports, "users": users,
            "invalid_token": invalid, "pids": state["pids"],
            "dir": d, "dovecot_log": os.path.join(d, "dovecot.log"),
            "smtp_sink": hinfo["smtp_port"],
            "introspection_url": "http://127.0.0.1:%d/introspect"
                                 % hinfo["http_port"]}
    with open(os.path.join(d, "fixture.json"), "w") as f:
        json.dump(info, f, indent=1)
    return info


def _stop_pids(d, state):
    """SIGTERM dovecot master + helper, wait, then SIGKILL leftovers."""
    deadline = time.monotonic() + STOP_TIMEOUT
    tracked = []
    for key in ("dovecot_pid", "helper_pid"):
        pid = state.get(key)
        if not pid or not _alive(pid):
            if pid:
                _reap(pid)
            continue
        # guard against pid reuse: our processes carry DIR on their cmdline
        # (dovecot: "-c DIR/dovecot.conf"; helper: "--dir DIR").
        args = " %s " % _cmdline(pid)
        if (" %s " % d) not in args and \
                (" %s " % os.path.join(d, "dovecot.conf")) not in args:
            continue
        tracked.append(pid)
    # dovecot children (login/auth/imap/...) in case the master dies badly
    kids = []
    for pid in tracked:
        kids += _descendants(pid)
    for pid in tracked:
        _signal(pid, signal.SIGTERM)
    if not _wait_dead(tracked, deadline):
        for pid in tracked:
            if _alive(pid):
                _signal(pid, signal.SIGKILL)
        _wait_dead(tracked, time.monotonic() + 2)
    # leftover descendants: give them a moment to follow the master, then kill
    _wait_dead(kids, min(deadline, time.monotonic() + 1.0))
    for pid in kids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    # fallback: our own session/process groups (start_new_session => pgid=pid)
    for pid in tracked:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _wait_dead(tracked + kids, time.monotonic() + 1.0)
    for pid in tracked:
        _reap(pid)
    # Orphaned processes (CLI use) become zombies of pid 1 until it reaps
    # them; wait briefly so `ps` right after stop shows nothing of ours.
    gone_by = time.monotonic() + 2.0
    while time.monotonic() < gone_by and any(
            os.path.exists("/proc/%d" % p) for p in tracked + kids):
        time.sleep(0.05)


def stop(dirpath):
    """Stop everything started in DIR. Idempotent; bounded in time."""
    d = os.path.abspath(dirpath)
    state = _load_state(d)
    if not state:
        return False
    _stop_pids(d, state)
    state["pids"] = []
    state["stopped"] = True
    _save_state(d, state)
    return True


class DovecotFixture:
    """Context manager: `with DovecotFixture(dir) as fx: fx.info[...]`.

    If dir is None a temporary directory is created (and removed on exit).
    """

    def __init__(self, dir=None, debug=False, keep=None):
        self._tmp = dir is None
        self.dir = os.path.abspath(dir or tempfile.mkdtemp(prefix="mh-dovecot-"))
        self.debug = debug
        self.keep = (not self._tmp) if keep is None else keep
        self.info = None

    def __enter__(self):
        self.info = start(self.dir, debug=self.debug)
        return self

    def __exit__(self, *exc):
        stop(self.dir)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def __getattr__(self, name):
        info = self.__dict__.get("info")
        if info is not None and name in info:
            return info[name]
        raise AttributeError(name)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("start", help="start fixture, print JSON line")
    p.add_argument("--dir", required=True)
    p.add_argument("--debug", action="store_true",
                   help="enable auth_debug/mail_debug in dovecot.log")
    p.add_argument("--timeout", type=float, default=START_TIMEOUT)
    p = sub.add_parser("stop", help="stop fixture started in DIR")
    p.add_argument("--dir", required=True)
    p = sub.add_parser("_serve", help=argparse.SUPPRESS)
    p.add_argument("--dir", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "_serve":
        _serve(os.path.abspath(a.dir))
        return 0
    if a.cmd == "stop":
        stop(a.dir)
        return 0
    try:
        info = start(a.dir, debug=a.debug, timeout=a.timeout)
    except FixtureError as e:
        sys.stderr.write("fixture start failed: %s\n" % e)
        return 1
    keys = ("ca_file", "imaps", "imap", "pop3s", "pop3", "submission", "users",
            "invalid_token", "pids")
    out = {k: info[k] for k in keys}
    out.update({k: v for k, v in info.items() if k not in out})
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
