#!/usr/bin/python3
"""Dovecot 2.3 tuned for login throughput: a reference server for `mailharness bench`.

A private Dovecot instance (IMAPS and POP3S on 127.0.0.1, implicit TLS only) whose
only SASL mechanisms are XOAUTH2 and OAUTHBEARER, validated by Dovecot's oauth2
passdb with LOCAL JWT validation (RS256, no introspection round trip). Login
processes run in high-performance mode, mail processes are reused, the mail
store sits on tmpfs. See scripts/bench/README-dovecot.md for every setting.

CLI (as root: the Dovecot master needs it):
    dovecot_bench.py start [--dir DIR] [--key-type ecdsa|rsa] [--user U]...  -> one JSON line
    dovecot_bench.py stop  [--dir DIR]
    dovecot_bench.py selftest [--dir DIR] [--key-type ...]   real clients: imaplib, poplib
    dovecot_bench.py measure [--dir DIR] [--protocol imap|pop3] [--workers N] [--duration S]

Process plumbing (spawn, readiness probes, state file, stop) comes from the
interop fixture, tests/interop/dovecot/fixture.py. Python standard library only.
"""

import argparse
import base64
import grp
import hashlib
import imaplib
import json
import multiprocessing
import os
import poplib
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop", "dovecot"))
import fixture as interop  # noqa: E402  (the interop fixture's process helpers)

DEFAULT_DIR = "/dev/shm/mh-dovecot-bench" if os.path.isdir("/dev/shm") else "/tmp/mh-dovecot-bench"
DEFAULT_USERS = ("alice@contoso.onmicrosoft.com", "bob@contoso.onmicrosoft.com")
TENANT_ID = "6a1d5b6e-0000-4000-8000-00000000b3c4"
ISSUER = "https://sts.windows.net/%s/" % TENANT_ID
AUDIENCE = "https://outlook.office365.com"
INFO_FILE = "bench.json"
START_TIMEOUT = 20.0
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
FailError = interop.FixtureError


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --------------------------------------------------------------------------
# keys, certificates, tokens
# --------------------------------------------------------------------------

def _make_certs(d, key_type):
    """ECDSA P-256 CA (like the fake's) and a server certificate with the requested key
    type; server.pem holds the chain (server, CA), as the fake sends it."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    srv = ec if key_type == "ecdsa" else ["-newkey", "rsa:2048"]
    with open(os.path.join(d, "server-ext.cnf"), "w") as f:
        f.write("basicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
                "authorityKeyIdentifier = keyid\n")
    interop._run(["openssl", "req", "-x509", *ec, "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                  "-days", "30", "-sha256", "-subj", "/CN=mailharness dovecot bench CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    interop._run(["openssl", "req", "-new", *srv, "-nodes", "-keyout", "server.key",
                  "-out", "server.csr", "-subj", "/CN=localhost"], d)
    interop._run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
                  "-CAkey", "ca.key", "-set_serial", "0x" + secrets.token_hex(8),
                  "-days", "30", "-sha256", "-extfile", "server-ext.cnf",
                  "-out", "server-leaf.pem"], d)
    with open(os.path.join(d, "server.pem"), "w") as out:
        for name in ("server-leaf.pem", "ca.pem"):
            with open(os.path.join(d, name)) as f:
                out.write(f.read())
    for name in ("server.key", "ca.key"):
        os.chmod(os.path.join(d, name), 0o600)


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _make_jwt_key(d):
    """RS256 signing key (private stays in DIR, mode 0600) and a key id."""
    interop._run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                  "-out", "jwt-signing.key"], d)
    os.chmod(os.path.join(d, "jwt-signing.key"), 0o600)
    interop._run(["openssl", "pkey", "-in", "jwt-signing.key", "-pubout",
                  "-out", "jwt-signing.pub"], d)
    with open(os.path.join(d, "jwt-signing.pub"), "rb") as f:
        pub = f.read()
    # Same shape as the fake's kid/x5t: base64url of a SHA-1 thumbprint.
    return pub, _b64url(hashlib.sha1(pub).digest())


def _install_validation_key(d, kid, pub):
    """Dovecot looks the key up in local_validation_key_dict under
    shared/<azp or 'default'>/<ALG>/<kid or 'default'>; dict-fs drops the 'shared/'
    prefix, so with prefix=DIR/keys/ the file is DIR/keys/default/RS256/<kid>."""
    kdir = os.path.join(d, "keys", "default", "RS256")
    os.makedirs(kdir, exist_ok=True)
    for p in (os.path.join(d, "keys"), os.path.join(d, "keys", "default"), kdir):
        os.chmod(p, 0o755)
    path = os.path.join(kdir, kid)
    with open(path, "wb") as f:
        f.write(pub)
    os.chmod(path, 0o644)   # a public key; read by the auth process (user dovecot)


def _sign_rs256(d, signing_input):
    r = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(d, "jwt-signing.key")],
                       input=signing_input, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise FailError("openssl dgst -sign failed: %s" % r.stderr.decode("utf-8", "replace"))
    return r.stdout


def _mint(d, kid, user, now, lifetime, **override):
    """An RS256 access token with the claims of a Microsoft v1 delegated token (as the
    fake mints them for a user). Dovecot 2.3.19 needs typ=JWT, alg, sub, exp; iss is checked against
    `issuers`, upn against the SASL user."""
    header = {"typ": "JWT", "alg": "RS256", "x5t": kid, "kid": kid}
    oid = "%08x-0000-4000-8000-%012x" % (int(hashlib.sha1(user.encode()).hexdigest()[:8], 16),
                                          secrets.randbits(48))
    claims = {"aud": AUDIENCE, "iss": ISSUER, "iat": now, "nbf": now, "exp": now + lifetime,
              "acr": "1", "app_displayname": "mailharness bench", "appid":
              "00000000-0000-4000-8000-00000000bec1", "appidacr": "0", "idtyp": "user",
              "name": user.split("@")[0].title(), "oid": oid,
              "scp": "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send",
              "sub": _b64url(hashlib.sha256(oid.encode()).digest()), "tid": TENANT_ID,
              "unique_name": user, "upn": user, "uti": _b64url(secrets.token_bytes(16)),
              "ver": "1.0"}
    claims.update(override)
    signing_input = ("%s.%s" % (_b64url(json.dumps(header, separators=(",", ":")).encode()),
                                _b64url(json.dumps(claims, separators=(",", ":")).encode())))
    return signing_input + "." + _b64url(_sign_rs256(d, signing_input.encode()))


def tamper_signature(token):
    """The same token with one signature character changed (in the middle, so the
    decoded signature bytes differ, not just base64 padding bits)."""
    head, sig = token.rsplit(".", 1)
    i = len(sig) // 2
    c = "A" if sig[i] != "A" else "B"
    return head + "." + sig[:i] + c + sig[i + 1:]


def _write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


# --------------------------------------------------------------------------
# mail store
# --------------------------------------------------------------------------

def _seed_mail(d, users, uid, gid, count):
    """`count` messages in each INBOX (the fake's demo tenant: alice@ has 3, bob@ 1)."""
    root = os.path.join(d, "mail")
    for user in users:
        name, domain = user.split("@", 1)
        md = os.path.join(root, domain, name, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        for i in range(count):
            date = int(time.time()) - 86400 + 3600 * i
            data = ("From: <it@contoso.onmicrosoft.com>\r\nTo: <%s>\r\n"
                    "Subject: Basic auth retirement%s\r\n"
                    "Date: %s\r\nMessage-ID: <%d.%d.bench@contoso.example>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                    "IMAP, POP and SMTP now require OAuth.\r\n"
                    % (user, " (%d)" % (i + 1) if i else "",
                       time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date)), date, i)
                    ).encode()
            # Already in cur/ (not new/): no rename on the first session; unseen (no flags).
            fname = "%d.M%dP1.localhost,S=%d:2," % (date, i + 1, len(data))
            with open(os.path.join(md, "cur", fname), "wb") as f:
                f.write(data)
        for dirpath, _, files in os.walk(os.path.join(root, domain, name)):
            os.chown(dirpath, uid, gid)
            os.chmod(dirpath, 0o700)
            for fn in files:
                os.chown(os.path.join(dirpath, fn), uid, gid)
    for dirpath in [root] + [os.path.join(root, u.split("@", 1)[1]) for u in users]:
        os.chown(dirpath, uid, gid)
        os.chmod(dirpath, 0o700)


# --------------------------------------------------------------------------
# dovecot config
# --------------------------------------------------------------------------

_SERVICES = """\
# {proto}: login processes in high-performance mode (long-lived, many clients each, one per
# core); mail processes reused for many sessions, a pool kept forked and ready.
service {proto}-login {{
  inet_listener {proto} {{
    port = 0
  }}
  inet_listener {proto}s {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
  service_count = 0
  process_min_avail = {login_procs}
  client_limit = {login_clients}
  vsz_limit = 1G
}}
service {proto} {{
  service_count = {mail_reuse}
  process_min_avail = {mail_procs}
  process_limit = {mail_limit}
  client_limit = 1
  vsz_limit = 1G
}}
"""


def _write_config(d, ports, o):
    uid = pwd.getpwnam(interop.MAIL_USER).pw_uid
    gid = grp.getgrnam(interop.MAIL_GROUP).gr_gid
    oauth_conf = os.path.join(d, "dovecot-oauth2.conf.ext")
    with open(oauth_conf, "w") as f:
        f.write("# Local JWT validation: no HTTP round trip per login.\n"
                "introspection_mode = local\n"
                "local_validation_key_dict = fs:posix:prefix=%s/keys/\n"
                "issuers = %s\n"
                "username_attribute = upn\n"
                "username_format = %%Lu\n"
                "debug = no\n" % (d, ISSUER))
    cores = _cores()
    login_procs = o.login_procs or cores
    conf = """\
# Generated by scripts/bench/dovecot_bench.py -- standalone, no conf.d.
# Why each setting: scripts/bench/README-dovecot.md
instance_name = mh-bench-{inst}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {info_log}
debug_log_path = /dev/null
listen = 127.0.0.1
protocols = imap pop3
hostname = localhost
login_greeting = Dovecot ready.
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
last_valid_uid = 0
shutdown_clients = yes
verbose_proctitle = no

ssl = required
ssl_cert = <{d}/server.pem
ssl_key = <{d}/server.key
{dh}
ssl_min_protocol = TLSv1.3
ssl_curve_list = X25519:P-256
ssl_prefer_server_ciphers = yes
ssl_options = {ssl_options}

disable_plaintext_auth = yes
auth_mechanisms = xoauth2 oauthbearer
auth_failure_delay = 0
auth_cache_size = {auth_cache}
auth_cache_ttl = 5 mins
auth_cache_negative_ttl = 0
auth_verbose = {verbose}
auth_debug = no
auth_worker_max_count = {cores}
mail_debug = no

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
mail_fsync = never
maildir_very_dirty_syncs = yes
mailbox_list_index_very_dirty_syncs = yes
pop3_no_flag_updates = yes
mail_max_userip_connections = 100000
pop3_uidl_format = %08Xu%08Xv

{services}service auth {{
  client_limit = {auth_clients}
}}
service auth-worker {{
  process_limit = {cores}
}}
# no auth penalty: the self-test fails logins on purpose from 127.0.0.1
service anvil {{
  client_limit = {auth_clients}
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  client_limit = {auth_clients}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""".format(inst=os.path.basename(d) or "x", d=d, uid=uid, gid=gid, cores=cores,
           dh=("ssl_dh = <%s" % interop.DH_FILE) if os.path.exists(interop.DH_FILE) else "",
           info_log=(os.path.join(d, "dovecot.log") if o.verbose else "/dev/null"),
           verbose="yes" if o.verbose else "no",
           ssl_options="no_compression" if o.tickets else "no_compression no_ticket",
           auth_cache=o.auth_cache, oauth_conf=oauth_conf,
           services="".join(_SERVICES.format(
               proto=proto, port=ports[proto + "s"], login_procs=login_procs,
               login_clients=o.login_clients, mail_procs=o.mail_procs,
               mail_limit=max(1024, o.mail_procs), mail_reuse=o.mail_reuse)
               for proto in ("imap", "pop3")),
           auth_clients=max(8192, 4 * max(1024, o.mail_procs)))
    path = os.path.join(d, "dovecot.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


# --------------------------------------------------------------------------
# start / stop
# --------------------------------------------------------------------------

def _warm(conf, users, count):
    """Build each INBOX's index once so every benchmarked login sees a warm mailbox."""
    for user in users:
        r = subprocess.run([DOVEADM, "-c", conf, "mailbox", "status", "-u", user,
                            "messages", "INBOX"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = r.stdout.decode("utf-8", "replace").strip()
        if r.returncode != 0 or not out.endswith("messages=%d" % count):
            raise FailError("doveadm mailbox status for %s: %s" % (user, out))


def start(o):
    if os.geteuid() != 0:
        raise FailError("must run as root (Dovecot master)")
    d = os.path.abspath(o.dir)
    old = interop._load_state(d) if os.path.isdir(d) else None
    if old and any(interop._alive(p) for p in old.get("pids", [])):
        raise FailError("already running in %s (run stop first)" % d)
    deadline = time.monotonic() + o.timeout
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o711)
    interop._check_traversable(d)
    for name in (interop.STATE_FILE, INFO_FILE, "dovecot.log", "dovecot.stderr"):
        try:
            os.unlink(os.path.join(d, name))
        except FileNotFoundError:
            pass
    for name in ("mail", "keys", "tokens"):
        shutil.rmtree(os.path.join(d, name), ignore_errors=True)

    users = list(dict.fromkeys(u.lower() for u in (o.user or DEFAULT_USERS)))
    uid = pwd.getpwnam(interop.MAIL_USER).pw_uid
    gid = grp.getgrnam(interop.MAIL_GROUP).gr_gid
    _make_certs(d, o.key_type)
    pub, kid = _make_jwt_key(d)
    _install_validation_key(d, kid, pub)
    _seed_mail(d, users, uid, gid, o.messages)

    tdir = os.path.join(d, "tokens")
    os.makedirs(tdir, mode=0o700, exist_ok=True)
    now = int(time.time())
    token_files, first = {}, None
    for user in users:
        tok = _mint(d, kid, user, now, o.lifetime)
        first = first or tok
        token_files[user] = os.path.join(tdir, user + ".token")
        _write_secret(token_files[user], tok)
    tampered_file = os.path.join(tdir, "tampered.token")
    _write_secret(tampered_file, tamper_signature(first))

    state = {"dir": d, "pids": [], "dovecot_pid": None, "helper_pid": None}
    names = ("imaps", "pop3s")
    ca_file = os.path.join(d, "ca.pem")
    for attempt in range(3):
        ports = dict(zip(names, interop._free_ports(len(names))))
        conf = _write_config(d, ports, o)
        errp = os.path.join(d, "dovecot.stderr")
        pid = interop._spawn([interop.DOVECOT, "-F", "-c", conf], errp)
        state.update(dovecot_pid=pid, pids=[pid])
        interop._save_state(d, state)
        pending, last_err, rc = list(names), None, None
        while pending and time.monotonic() < deadline:
            rc = interop._exit_status(pid)
            if rc is not None:
                break
            try:
                interop._probe(pending[0], ports[pending[0]], ca_file,
                               max(0.1, min(2.0, deadline - time.monotonic())))
                pending.pop(0)
            except (OSError, ssl.SSLError) as e:
                last_err = "%s:%d %s" % (pending[0], ports[pending[0]], e)
                time.sleep(0.03)
        if not pending:
            break
        log = interop._read_log(d)
        interop._stop_pids(d, state)
        if rc is not None and "in use" in log and attempt < 2:
            continue
        raise FailError("dovecot did not come up (exit %s, last error %s)\n%s"
                        % (rc, last_err, log))

    try:
        _warm(conf, users, o.messages)
    except FailError as e:
        interop._stop_pids(d, state)
        raise FailError("%s\n%s" % (e, interop._read_log(d)))
    info = {"imaps": ports["imaps"], "pop3s": ports["pop3s"], "ca_file": ca_file,
            "users": users, "token_files": token_files, "tampered_token_file": tampered_file,
            "token_expires": now + o.lifetime, "kid": kid, "pids": [pid], "master_pid": pid,
            "dir": d, "log": os.path.join(d, "dovecot.log"), "config": conf,
            "key_type": o.key_type, "host": "127.0.0.1", "tls": "implicit",
            "verbose": o.verbose, "auth_cache": o.auth_cache, "messages": o.messages}
    with open(os.path.join(d, INFO_FILE), "w") as f:
        json.dump(info, f, indent=1)
    return info


def load_info(d):
    d = os.path.abspath(d)
    state = interop._load_state(d)
    if not state or not state.get("dovecot_pid") or not interop._alive(state["dovecot_pid"]):
        raise FailError("no running instance in %s (run start first)" % d)
    with open(os.path.join(d, INFO_FILE)) as f:
        return json.load(f)


# --------------------------------------------------------------------------
# SASL payloads
# --------------------------------------------------------------------------

def sasl_payload(mech, user, token, port):
    if mech == "xoauth2":
        raw = "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
    else:
        raw = "n,a=%s,\x01host=localhost\x01port=%d\x01auth=Bearer %s\x01\x01" % (user, port, token)
    return base64.b64encode(raw.encode()).decode()


def _read_token(path):
    with open(path) as f:
        return f.read().strip()


# --------------------------------------------------------------------------
# selftest: real clients (imaplib, poplib)
# --------------------------------------------------------------------------

def _imap_login(info, user, token, mech):
    """imaplib: AUTHENTICATE (answering an error challenge with an empty line), then
    EXAMINE INBOX. Returns (logged in, messages in INBOX or None, detail)."""
    ctx = ssl.create_default_context(cafile=info["ca_file"])
    m = imaplib.IMAP4_SSL("localhost", info["imaps"], ssl_context=ctx, timeout=10)
    raw = base64.b64decode(sasl_payload(mech, user, token, info["imaps"]))
    answers = iter([raw, b""])   # the payload, then an empty answer to an error challenge
    try:
        m.authenticate(mech.upper(), lambda _challenge: next(answers))
    except imaplib.IMAP4.error as e:
        m.shutdown()
        return False, None, str(e)
    typ, data = m.select("INBOX", readonly=True)
    count = int(data[0]) if typ == "OK" else None
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subject = data[0][1].decode().strip() if typ == "OK" else "no FETCH"
    m.logout()
    return True, count, "EXAMINE INBOX: %s message(s), %s" % (count, subject)


def _pop3_login(info, user, token, mech):
    """poplib: CAPA, AUTH with an initial response (answering an error challenge with an
    empty line), then STAT. Returns (logged in, messages, detail)."""
    ctx = ssl.create_default_context(cafile=info["ca_file"])
    p = poplib.POP3_SSL("localhost", info["pop3s"], context=ctx, timeout=10)
    try:
        sasl = p.capa().get("SASL", [])
        if mech.upper() not in sasl:
            return False, None, "CAPA SASL %s" % sasl
        # poplib has no SASL call; _shortcmd would take the "+ " error challenge for +OK.
        p._putcmd("AUTH %s %s" % (mech.upper(), sasl_payload(mech, user, token, info["pop3s"])))
        resp = p._getline()[0]
        if resp.startswith(b"+ "):
            p._putcmd("")
            resp = p._getline()[0]
        if not resp.startswith(b"+OK"):
            return False, None, resp.decode("utf-8", "replace")
        count, size = p.stat()
        p.quit()
        return True, count, "STAT %d %d" % (count, size)
    finally:
        p.close()


def _tls_check(info, proto):
    """openssl s_client: TLS 1.3, X25519, the certificate key type asked for, verified."""
    port = info["imaps" if proto == "imap" else "pop3s"]
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-brief",
                        "-CAfile", info["ca_file"], "-verify_hostname", "localhost"],
                       input=b"", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
    out = r.stdout.decode("utf-8", "replace")
    want = {"Protocol version": "TLSv1.3", "Server Temp Key": "X25519",
            "Signature type": "ECDSA" if info["key_type"] == "ecdsa" else "RSA-PSS",
            "Verification": "OK"}
    got = {}
    for line in out.splitlines():
        key, _, value = line.partition(": ")
        if key in want:
            got[key] = value
    passed = all(got.get(k, "").startswith(v) for k, v in want.items())
    return passed, "%s TLS: %s" % (proto, ", ".join("%s %s" % (k, got.get(k, "?")) for k in want))


def _log_reasons(info, attempts):
    """With auth_verbose (--verbose), the log must give local validation's reason for every
    refusal, and show no introspection."""
    with open(info["log"], errors="replace") as f:
        log = f.read()
    prefix = "Local validation failed: "
    reasons = ("Bad signature", "Token has expired", "Issuer", "Username")
    counts = [log.count(prefix + r) for r in reasons]
    return (all(c >= attempts for c in counts) and "ntrospection" not in log,
            "dovecot.log, %d attempts each: %s; no introspection" % (
                attempts, ", ".join("%d x '%s'" % (c, r) for c, r in zip(counts, reasons))))


def selftest(info):
    """Each user's token logs in and sees its one message; the token with one signature
    character changed, and a valid token presented for another user, are refused."""
    results = [_tls_check(info, "imap"), _tls_check(info, "pop3")]
    users = info["users"]
    tokens = {u: _read_token(info["token_files"][u]) for u in users}
    cases = [("valid token", u, tokens[u], True) for u in users]
    now = int(time.time())
    cases += [("signature tampered", users[0], _read_token(info["tampered_token_file"]), False),
              ("expired token", users[0],
               _mint(info["dir"], info["kid"], users[0], now - 7200, 3600), False),
              ("token of another issuer", users[0],
               _mint(info["dir"], info["kid"], users[0], now, 3600,
                     iss="https://sts.windows.net/%s/" % ("0" * 8 + TENANT_ID[8:])), False)]
    if len(users) > 1:
        cases.append(("token of %s" % users[0], users[1], tokens[users[0]], False))
    for proto, login in (("imap", _imap_login), ("pop3", _pop3_login)):
        for mech in ("xoauth2", "oauthbearer"):
            for label, user, tok, want in cases:
                ok, count, detail = login(info, user, tok, mech)
                passed = ok == want and (count == info["messages"] if want else count is None)
                results.append((passed, "%s %s %s as %s: %s (%s)" % (
                    proto, mech, label, user, "logged in" if ok else "refused", detail)))
    if info.get("verbose") and len(users) > 1:
        results.append(_log_reasons(info, 4))   # 2 protocols x 2 mechanisms
    return results


# --------------------------------------------------------------------------
# measure: a simple multi-process Python login loop + server CPU from /proc
# --------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_times(pid):
    """(utime+stime, cutime+cstime) in clock ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    # fields after comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def server_cpu_ticks(master):
    """CPU (clock ticks) of the master and all its descendants, by process name, including
    children already reaped: their time is in the cutime/cstime of the process that waited
    for them (the master), reported as "reaped children"."""
    by_name = {}
    for pid in [master] + interop._descendants(master):
        t = _proc_times(pid)
        if not t:
            continue
        name = "master" if pid == master else interop._cmdline(pid).split("/")[-1].strip()
        by_name[name] = by_name.get(name, 0) + t[0]
        by_name["reaped children"] = by_name.get("reaped children", 0) + t[1]
    return by_name


class _Conn:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(16384)
            if not chunk:
                raise OSError("connection closed")
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln

    def until(self, prefix):
        while True:
            ln = self.line()
            if ln.startswith(prefix):
                return ln

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")


def _one_login(ctx, info, proto, mech, user, token):
    port = info["imaps" if proto == "imap" else "pop3s"]
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    try:
        c = _Conn(s)
        payload = sasl_payload(mech, user, token, port)
        if proto == "imap":
            c.line()                                           # greeting with CAPABILITY
            c.send("a1 AUTHENTICATE %s %s" % (mech.upper(), payload))
            ok = c.until(b"a1 ").startswith(b"a1 OK")
            if ok:
                c.send("a2 EXAMINE INBOX")
                ok = c.until(b"a2 ").startswith(b"a2 OK")
            c.send("a3 LOGOUT")
            c.until(b"a3 ")
        else:
            c.line()
            c.send("CAPA")
            c.until(b".")
            c.send("AUTH %s" % mech.upper())   # two-step, as mailharness and Exchange do
            c.line()
            c.send(payload)
            ok = c.line().startswith(b"+OK")
            if ok:
                c.send("STAT")
                ok = c.line().startswith(b"+OK ")
            c.send("QUIT")
            c.line()
        return ok
    finally:
        s.close()


def _worker(info, proto, mech, t_start, t_end, q):
    ctx = ssl.create_default_context(cafile=info["ca_file"])   # full handshakes: no session reuse
    users = info["users"]
    tokens = [_read_token(info["token_files"][u]) for u in users]
    ok = failed = i = 0
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        k = i % len(users)
        i += 1
        try:
            good = _one_login(ctx, info, proto, mech, users[k], tokens[k])
        except (OSError, ssl.SSLError):
            good = False
        if time.monotonic() >= t_start and time.monotonic() < t_end:
            ok += good
            failed += not good
    c = os.times()
    q.put((ok, failed, c.user + c.system))


def measure(info, proto, mech, workers, duration, warmup):
    master = info["master_pid"]
    q = multiprocessing.Queue()
    t0 = time.monotonic()
    t_start, t_end = t0 + warmup, t0 + warmup + duration
    procs = [multiprocessing.Process(target=_worker, args=(info, proto, mech, t_start, t_end, q))
             for _ in range(workers)]
    for p in procs:
        p.start()
    time.sleep(max(0.0, t_start - time.monotonic()))
    cpu0, w0 = server_cpu_ticks(master), time.monotonic()
    time.sleep(max(0.0, t_end - time.monotonic()))
    cpu1, w1 = server_cpu_ticks(master), time.monotonic()
    by_name = {k: v - cpu0.get(k, 0) for k, v in cpu1.items()}
    res = [q.get() for _ in procs]
    for p in procs:
        p.join()
    ok = sum(r[0] for r in res)
    failed = sum(r[1] for r in res)
    client_cpu = sum(r[2] for r in res)       # whole run incl. warm-up (upper bound)
    server_s = sum(by_name.values()) / CLK_TCK
    window = w1 - w0
    return {"protocol": proto, "mechanism": mech, "workers": workers, "window_s": round(window, 3),
            "ok": ok, "failed": failed, "logins_per_s": round(ok / window, 1),
            "server_cpu_s": round(server_s, 3),
            "server_cpu_per_login_us": round(server_s * 1e6 / ok, 1) if ok else None,
            "server_cpu_cores": round(server_s / window, 2),
            "server_cpu_per_login_us_by_process": {
                k: round(v / CLK_TCK * 1e6 / ok, 1)
                for k, v in sorted(by_name.items()) if v and ok},
            "client_cpu_s_whole_run": round(client_cpu, 3),
            "key_type": info.get("key_type")}


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def _add_start_options(p):
    p.add_argument("--key-type", choices=("ecdsa", "rsa"), default="ecdsa",
                   help="server certificate key: ECDSA P-256 (default) or RSA 2048")
    p.add_argument("--user", action="append",
                   help="mailbox (repeatable; default %s)" % ", ".join(DEFAULT_USERS))
    p.add_argument("--messages", type=int, default=1,
                   help="messages in each INBOX (default 1; the fake's alice@ has 3, bob@ 1)")
    p.add_argument("--lifetime", type=int, default=3600, help="token lifetime in s (default 3600)")
    p.add_argument("--login-procs", type=int, default=0,
                   help="imap-login/pop3-login processes (default: one per core)")
    p.add_argument("--login-clients", type=int, default=4096,
                   help="client_limit of each login process (default 4096)")
    p.add_argument("--mail-procs", type=int, default=32,
                   help="imap/pop3 processes kept forked (process_min_avail, default 32)")
    p.add_argument("--mail-reuse", type=int, default=1000,
                   help="sessions per imap/pop3 process before it exits (service_count, "
                        "default 1000)")
    p.add_argument("--auth-cache", default="10M",
                   help="auth_cache_size (default 10M: a token seen in the last 5 minutes is not "
                        "verified again; 0: every login verifies the JWT signature)")
    p.add_argument("--tickets", action="store_true",
                   help="send TLS session tickets (default off: full handshakes only)")
    p.add_argument("--verbose", action="store_true",
                   help="info log lines and auth_verbose (why a login failed) to dovecot.log "
                        "(default: info log to /dev/null; costs CPU per login)")
    p.add_argument("--timeout", type=float, default=START_TIMEOUT)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("start", help="start Dovecot, print one JSON line")
    p.add_argument("--dir", default=DEFAULT_DIR, help="instance directory (default %(default)s)")
    _add_start_options(p)
    p = sub.add_parser("stop", help="stop the instance in DIR")
    p.add_argument("--dir", default=DEFAULT_DIR, help="instance directory (default %(default)s)")
    p = sub.add_parser("selftest", help="imaplib/poplib logins: valid token OK, tampered refused")
    p.add_argument("--dir", help="a running instance (default: start one, stop it after)")
    _add_start_options(p)
    p = sub.add_parser("measure", help="Python login loop: logins/s and server CPU per login")
    p.add_argument("--dir", default=DEFAULT_DIR, help="instance directory (default %(default)s)")
    p.add_argument("--protocol", choices=("imap", "pop3"), default="imap")
    p.add_argument("--mech", choices=("xoauth2", "oauthbearer"), default="xoauth2")
    p.add_argument("--workers", type=int, default=4, help="client processes (default 4)")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    a = ap.parse_args(argv)

    try:
        if a.cmd == "stop":
            interop.stop(a.dir)
            return 0
        if a.cmd == "start":
            print(json.dumps(start(a)), flush=True)
            return 0
        if a.cmd == "measure":
            print(json.dumps(measure(load_info(a.dir), a.protocol, a.mech, a.workers,
                                     a.duration, a.warmup)), flush=True)
            return 0
        own = a.dir is None
        if own:
            a.dir = DEFAULT_DIR + "-selftest"
            a.verbose = True
            info = start(a)
        else:
            info = load_info(a.dir)
        try:
            results = selftest(info)
        finally:
            if own:
                interop.stop(a.dir)
                shutil.rmtree(a.dir, ignore_errors=True)
        for passed, line in results:
            print("%s %s" % ("ok  " if passed else "FAIL", line))
        bad = sum(not r[0] for r in results)
        print("selftest: %d checks, %d failed" % (len(results), bad))
        return 1 if bad else 0
    except FailError as e:
        sys.stderr.write("dovecot_bench: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
