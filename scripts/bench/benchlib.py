"""Shared helpers for the reference load generators in scripts/bench/ (Python 3 stdlib only).

Nothing here prints a token: tokens are read from a file, kept in memory and only sent inside
the TLS connection. Process figures come from /proc (Linux).
"""

import asyncio
import base64
import json
import os
import resource
import socket
import ssl
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def emit(obj):
    """Print the script's one JSON object on stdout."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def fail(message, code=2):
    """Usage or set-up error: one line on stderr, exit code 2 (as mailharness does)."""
    print(f"{os.path.basename(sys.argv[0])}: {message}", file=sys.stderr)
    sys.exit(code)


def read_token(path):
    """The access token from a file (first line, whitespace stripped). Never printed."""
    try:
        with open(path, encoding="ascii") as f:
            token = f.readline().strip()
    except OSError as e:
        fail(f"cannot read the token file: {e.strerror}")
    if not token:
        fail("the token file is empty")
    return token


def xoauth2_b64(user, token):
    """SASL XOAUTH2 initial client response, base64: user=U^Aauth=Bearer T^A^A."""
    raw = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    return base64.b64encode(raw).decode("ascii")


def raise_nofile():
    """Lift the soft RLIMIT_NOFILE to the hard limit; returns the new (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def own_cpu_s():
    """User + system CPU seconds of this process so far (all threads)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def rusage_cpu_s(ru):
    return ru.ru_utime + ru.ru_stime


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host, port, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# --- /proc: CPU and memory of a server process and its descendants -----------------------------

def _stat_fields(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
        data = f.read()
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return data[data.rindex(")") + 2:].split()


def process_tree(pid):
    """pid and all its live descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(entry)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_cpu_s(pid, include_reaped=False):
    """utime + stime (seconds) of pid and its live descendants, from /proc/<pid>/stat.
    include_reaped adds cutime + cstime of each: the CPU of children that already exited and
    were waited for (counted once, in the process that reaped them), so that a difference of
    two samples also covers children that ended in between."""
    total = 0
    for p in process_tree(pid):
        try:
            f = _stat_fields(p)
            total += int(f[11]) + int(f[12])  # fields 14 and 15: utime, stime (clock ticks)
            if include_reaped:
                total += int(f[13]) + int(f[14])  # fields 16 and 17: cutime, cstime
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def tree_rss_kib(pid):
    """VmRSS (KiB) summed over pid and its live descendants."""
    total = 0
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            pass
    return total


class ServerCpu:
    """CPU of an optional server process tree over a window: start(), stop(), figures(n)."""

    def __init__(self, pid, include_reaped=False):
        self.pid = pid
        self.include_reaped = include_reaped
        self.used = None

    def start(self):
        if self.pid:
            self.used = -tree_cpu_s(self.pid, self.include_reaped)

    def stop(self):
        if self.pid:
            self.used += tree_cpu_s(self.pid, self.include_reaped)

    def figures(self, logins):
        """server_cpu_s and server_cpu_per_login_us (None without a pid or a login)."""
        if not self.pid:
            return {"server_cpu_s": None, "server_cpu_per_login_us": None}
        return {"server_cpu_s": round(self.used, 4),
                "server_cpu_per_login_us": round(self.used / logins * 1e6, 1) if logins else None}


def percentiles(values, points=(50, 90, 99)):
    """Nearest-rank percentiles of a list (ms values stay ms); None when empty."""
    if not values:
        return {f"p{p}": None for p in points}
    v = sorted(values)
    out = {}
    for p in points:
        k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
        out[f"p{p}"] = v[k]
    out["max"] = v[-1]
    return out


# --- TLS and line-protocol clients (asyncio) ------------------------------------------------------

def add_key_type_arg(p):
    p.add_argument("--key-type", choices=["ecdsa", "rsa"], default="ecdsa",
                   help="server certificate key: ECDSA P-256 (default) or RSA 2048")


def key_type_name(key_type):
    """The name mailharness bench reports (config.key_type)."""
    return "ec_p256" if key_type == "ecdsa" else "rsa2048"


def add_target_args(p, port_help, server_pid_required=False):
    """The options naming the server, the mailbox and the token, shared by the drivers."""
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True, help=port_help)
    p.add_argument("--server-name", default="localhost",
                   help="TLS server name (SNI and certificate check; default localhost)")
    p.add_argument("--ca-file", help="CA certificate(s) to verify the server (PEM)")
    p.add_argument("--insecure", action="store_true", help="do not verify the server certificate")
    p.add_argument("--user", required=True, help="mailbox (the XOAUTH2 user=)")
    p.add_argument("--token-file", required=True, help="file holding the access token")
    p.add_argument("--server-pid", type=int, required=server_pid_required,
                   help="server process: its CPU or memory and its descendants' (/proc)")


def check_target_args(a):
    if not a.ca_file and not a.insecure:
        fail("give --ca-file (or --insecure)")
    if a.server_pid is not None:
        try:
            os.kill(a.server_pid, 0)
        except OSError:
            fail(f"no process {a.server_pid}")


def client_tls_context(ca_file, insecure=False):
    """TLS 1.3 client context verifying the server against ca_file (no session reuse: every
    connection is a full handshake, since no session is ever passed to wrap)."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ProtocolError(Exception):
    """The server answered something other than what a successful login expects."""


class LineConn:
    """CRLF lines over an asyncio stream pair."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host, port, ctx, server_hostname):
        reader, writer = await asyncio.open_connection(
            host, port, ssl=ctx, server_hostname=server_hostname if ctx else None,
            limit=256 * 1024)
        return cls(reader, writer)

    async def readline(self):
        line = await self.reader.readline()
        if not line:
            raise ProtocolError("connection closed by the server")
        return line.rstrip(b"\r\n").decode("utf-8", "replace")

    def send(self, text):
        self.writer.write(text.encode() + b"\r\n")

    async def close(self):
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (OSError, ssl.SSLError, ConnectionError):
            pass

    def abort(self):
        transport = self.writer.transport
        if transport is not None:
            transport.abort()


class Imap(LineConn):
    """The IMAP commands of a login (tags A1, A2, …)."""

    tag = 0

    async def greeting(self):
        line = await self.readline()
        if not line.startswith("* OK"):
            raise ProtocolError("greeting: " + line[:80])

    async def command(self, text, expect_ok=True):
        self.tag += 1
        tag = f"A{self.tag}"
        self.send(f"{tag} {text}")
        lines = []
        while True:
            line = await self.readline()
            if line.startswith(tag + " "):
                status = line[len(tag) + 1:].split(" ", 1)[0].upper()
                if expect_ok and status != "OK":
                    raise ProtocolError(f"{text.split(' ', 1)[0]}: {line[len(tag) + 1:][:80]}")
                return status, lines
            if line.startswith("+"):
                # A continuation (e.g. an error challenge to AUTHENTICATE): cancel the exchange.
                self.send("*")
                continue
            lines.append(line)

    async def authenticate_xoauth2(self, user, token):
        status, _ = await self.command(f"AUTHENTICATE XOAUTH2 {xoauth2_b64(user, token)}",
                                       expect_ok=False)
        if status != "OK":
            raise ProtocolError("AUTHENTICATE: " + status)

    async def logout(self):
        await self.command("LOGOUT", expect_ok=False)


class Pop3(LineConn):
    """The POP3 commands of a login."""

    async def greeting(self):
        line = await self.readline()
        if not line.startswith("+OK"):
            raise ProtocolError("greeting: " + line[:80])

    async def command(self, text, multiline=False):
        self.send(text)
        first = await self.readline()
        if not first.startswith("+OK"):
            raise ProtocolError(f"{text.split(' ', 1)[0]}: {first[:80]}")
        if multiline:
            while (await self.readline()) != ".":
                pass
        return first

    async def auth_xoauth2(self, user, token):
        # Two-step, as Exchange requires (an initial response on the AUTH line is refused).
        self.send("AUTH XOAUTH2")
        cont = await self.readline()
        if not cont.startswith("+"):
            raise ProtocolError("AUTH: " + cont[:80])
        self.send(xoauth2_b64(user, token))
        reply = await self.readline()
        if not reply.startswith("+OK"):
            raise ProtocolError("AUTH: " + reply[:80])


async def imap_login(host, port, ctx, server_name, user, token, probe=True):
    """One whole IMAP login, as mailharness does it: greeting, CAPABILITY, AUTHENTICATE XOAUTH2
    with the initial response, CAPABILITY, EXAMINE INBOX (probe), LOGOUT, close."""
    c = await Imap.open(host, port, ctx, server_name)
    try:
        await c.greeting()
        await c.command("CAPABILITY")
        await c.authenticate_xoauth2(user, token)
        await c.command("CAPABILITY")
        if probe:
            await c.command("EXAMINE INBOX")
        await c.logout()
    finally:
        await c.close()


async def pop3_login(host, port, ctx, server_name, user, token, probe=True):
    """One whole POP3 login: greeting, CAPA, AUTH XOAUTH2 (two-step), STAT (probe), QUIT, close."""
    c = await Pop3.open(host, port, ctx, server_name)
    try:
        await c.greeting()
        await c.command("CAPA", multiline=True)
        await c.auth_xoauth2(user, token)
        if probe:
            await c.command("STAT")
        await c.command("QUIT")
    finally:
        await c.close()
