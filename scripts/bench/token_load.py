#!/usr/bin/env python3
"""Token endpoint throughput: client-credentials tokens per second from a running
`mailharness fake` over HTTPS keep-alive connections, against the RS256 signing bound of the
machine (issue 7, goal 5).

Everything comes from the fake's ready file (--ready): the token endpoint, the CA that signed
the fake's certificate, the demo app's client id and secret, and the fake's pid (the server
whose CPU is measured; --server-pid overrides it). The secret stays in memory and only goes
inside the TLS connections; no token and no secret is ever printed.

Load: --procs processes (the GIL limits what one Python process can drive) share
--connections HTTPS connections (http.client.HTTPSConnection, TLS 1.3, certificate and name
checked against the CA; spread as evenly as possible, at least one per process), one thread
per connection. Every connection is opened (TCP + TLS handshake) before the run starts, then
its thread repeats, closed loop, one request after the other on the same connection:

  POST <tenant>/oauth2/v2.0/token
  grant_type=client_credentials&client_id=...&client_secret=...&scope=<--scope>

A request succeeds when the answer is 200 with a JSON body holding a non-empty access_token;
anything else (another status, no token, a connection error, a timeout) is a failure, counted
by kind. Nothing counts during --warmup; a request counts when it ends inside the --duration
window that follows.

Keep-alive check: every TCP connection the client opens goes through one connect() that counts
it (http.client reconnects silently when the server closed the connection, and that connect is
counted too), and every answer that announces a close (`Connection: close`, HTTP/1.0) is
counted as a server close. Keep-alive held when the connections opened, over the whole run
(warm-up included), equal --connections and the server closed none.

CPU: client = user + system time of this process and its worker processes
(/proc/<pid>/stat, all threads) between the two ends of the window; server = the same for the
server's process tree, children it already reaped included (cutime/cstime). Per token = CPU /
tokens in the window.

Bound: after the load, `openssl speed -mr -seconds S rsa2048` (S = --speed-seconds), parsed as
pk_bound.py does; one RS256 token costs one RSA 2048 private-key signature (the PKCS#1 v1.5
signature openssl speed times), so the signing bound is --cores x signatures/s, and
fraction_of_bound = tokens/s / bound. Goal 5 asks for at least 0.5. Like pk_bound.py, the bound
takes everything but the signature as free: no client + server pair on this machine can issue
RS256 tokens faster.

Output (stdout): one JSON object. Exit code 0 when every request in the run succeeded and
keep-alive held, 1 otherwise, 2 on a usage or set-up error (no ready file, cannot connect).
"""

import argparse
import collections
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402
import pk_bound  # noqa: E402

DEFAULT_SCOPE = "https://outlook.office365.com/.default"


class Target:
    """What the ready file says about the token endpoint (picklable: it goes to the workers)."""

    def __init__(self, ready_path, a):
        try:
            with open(ready_path, encoding="utf-8") as f:
                r = json.load(f)
        except OSError as e:
            benchlib.fail(f"cannot read the ready file: {e.strerror}")
        except ValueError as e:
            benchlib.fail(f"{ready_path}: not JSON: {e}")
        try:
            endpoint = r.get("token_endpoint") or r["authority"].rstrip("/") + "/oauth2/v2.0/token"
            app = r["demo"]["app"]
            self.client_id = app["client_id"]
            secret = app["client_secret"]
            ca_file = r["ca_file"]
        except (KeyError, TypeError, AttributeError) as e:
            benchlib.fail(f"{ready_path}: no {e} (is it a mailharness fake ready file?)")
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme != "https" or not url.hostname:
            benchlib.fail(f"{ready_path}: the token endpoint is not an https:// URL")
        self.endpoint = endpoint
        self.path = url.path
        self.port = url.port or 443
        self.host = a.host
        self.server_name = a.server_name or url.hostname
        self.ca_file = os.path.join(os.path.dirname(os.path.abspath(ready_path)), ca_file)
        self.timeout = a.timeout
        self.pid = r.get("pid")
        self.body = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": self.client_id,
            "client_secret": secret, "scope": a.scope}).encode("ascii")
        self.headers = {"Host": f"{self.server_name}:{self.port}",
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json"}

    def __repr__(self):  # never shows the body (it holds the secret)
        return f"Target({self.endpoint})"


class CountingConnection(http.client.HTTPSConnection):
    """An HTTPS connection to target.host that checks the certificate for target.server_name
    and counts the TCP connections it opens (http.client reconnects through connect())."""

    def __init__(self, target, ctx):
        super().__init__(target.host, target.port, timeout=target.timeout, context=ctx)
        self.tls = ctx
        self.server_name = target.server_name
        self.opened = 0

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.opened += 1
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.server_name)
        except BaseException:
            sock.close()
            raise


def failure_kind(status, data):
    """A short, secret-free name for an unsuccessful answer: http_<status>[ <OAuth error>]."""
    kind = f"http_{status}"
    try:
        err = json.loads(data).get("error")
    except (ValueError, AttributeError):
        err = None
    return f"{kind} {err}" if isinstance(err, str) and err.isascii() and len(err) < 64 else kind


def has_token(data):
    try:
        token = json.loads(data).get("access_token")
    except (ValueError, AttributeError):
        return False
    return isinstance(token, str) and token != ""


def connection_loop(conn, target, window, out):
    """Closed loop on one connection until the window ends; out gets the counts."""
    try:
        _connection_loop(conn, target, window, out)
    except Exception as e:  # noqa: BLE001 - a bug here must show as a failure, not vanish
        out.update(ok=0, outside_window=0, server_closes=0, latencies=[], opened=conn.opened,
                   failures=collections.Counter({f"client_error {type(e).__name__}": 1}))


def _connection_loop(conn, target, window, out):
    w0, w1 = window
    ok, outside, closes, failures, latencies = 0, 0, 0, collections.Counter(), []
    while time.monotonic() < w1:
        t0 = time.monotonic()
        kind = None
        try:
            conn.request("POST", target.path, body=target.body, headers=target.headers)
            resp = conn.getresponse()
            data = resp.read()
            closes += resp.will_close
            if resp.status != 200:
                kind = failure_kind(resp.status, data)
            elif not has_token(data):
                kind = "no_access_token"
        except (OSError, http.client.HTTPException) as e:  # ssl.SSLError and timeouts are OSErrors
            kind = type(e).__name__
            conn.close()
        t1 = time.monotonic()
        in_window = w0 <= t1 < w1
        if kind is not None:
            failures[kind] += 1  # failures count over the whole run, warm-up included
        elif in_window:
            ok += 1
            latencies.append((t1 - t0) * 1e3)
        else:
            outside += 1
    conn.close()
    out.update(ok=ok, outside_window=outside, server_closes=closes, failures=failures,
               opened=conn.opened, latencies=latencies)


def worker(target, n_conns, pipe):
    """One process: open n_conns connections, say ready, run them on threads, send the counts."""
    ctx = benchlib.client_tls_context(target.ca_file)
    conns = [CountingConnection(target, ctx) for _ in range(n_conns)]
    try:
        for c in conns:
            c.connect()
    except OSError as e:
        pipe.send(("error", f"cannot connect to {target.host}:{target.port}: {e}"))
        return
    pipe.send(("ready", None))
    window = pipe.recv()
    outs = [{} for _ in conns]
    threads = [threading.Thread(target=connection_loop, args=(c, target, window, o))
               for c, o in zip(conns, outs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pipe.send(("result", outs))


def sleep_until(t):
    time.sleep(max(0.0, t - time.monotonic()))


def signing_bound(seconds, cores):
    res = pk_bound.speed(seconds, ["rsa2048"])
    if ("2", 2048) not in res:
        benchlib.fail("openssl speed gave no rsa2048 figure")
    sign_per_s = res[("2", 2048)][0]
    return {
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
        "command": f"openssl speed -mr -seconds {seconds} rsa2048",
        "rsa2048_sign_per_s": round(sign_per_s, 1),
        "rsa2048_sign_us": round(1e6 / sign_per_s, 2),
        "cores": cores,
        "rs256_sign_bound_tokens_per_s": round(cores * sign_per_s, 1),
    }


def machine_busy_s():
    """CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot, /proc/stat."""
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / benchlib.CLK_TCK


def server_threads(pid):
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def main():
    p = argparse.ArgumentParser(
        description="Client-credentials tokens/s from a mailharness fake's token endpoint over HTTPS "
                    "keep-alive connections, CPU per token on both sides, and the fraction of the RS256 "
                    "signing bound (openssl speed); prints one JSON object.")
    p.add_argument("--ready", required=True, metavar="FILE", help="the fake's ready file (--ready-file)")
    p.add_argument("--host", default="127.0.0.1", help="address to connect to (default 127.0.0.1)")
    p.add_argument("--server-name", help="TLS server name (default: the token endpoint's host)")
    p.add_argument("--scope", default=DEFAULT_SCOPE, help=f"scope (default {DEFAULT_SCOPE})")
    p.add_argument("--connections", type=int, default=4,
                   help="keep-alive connections in all, spread over the processes (default 4)")
    p.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring (default 2)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    p.add_argument("--server-pid", type=int,
                   help="server process whose CPU is measured (default: the pid in the ready file)")
    p.add_argument("--speed-seconds", type=int, default=3,
                   help="openssl speed -seconds for the bound, run after the load (default 3; 0 skips it)")
    p.add_argument("--cores", type=int, default=2, help="cores client and server share (default 2)")
    a = p.parse_args()
    if a.procs < 1 or a.connections < a.procs:
        benchlib.fail("--procs must be >= 1 and --connections >= --procs")
    if a.duration <= 0 or a.warmup < 0 or a.timeout <= 0 or a.speed_seconds < 0 or a.cores < 1:
        benchlib.fail("--duration and --timeout must be > 0, --warmup and --speed-seconds >= 0, --cores >= 1")

    target = Target(a.ready, a)
    server_pid = a.server_pid if a.server_pid is not None else target.pid
    if server_pid is not None:
        try:
            os.kill(server_pid, 0)
        except OSError:
            benchlib.fail(f"no process {server_pid}" +
                          ("" if a.server_pid is not None else " (the pid in the ready file)"))

    split = [a.connections // a.procs + (i < a.connections % a.procs) for i in range(a.procs)]
    mp = multiprocessing.get_context("fork")
    workers = []
    for n in split:
        ours, theirs = mp.Pipe()
        proc = mp.Process(target=worker, args=(target, n, theirs), daemon=True)
        proc.start()
        workers.append((proc, ours))
    for proc, pipe in workers:
        try:
            kind, msg = pipe.recv()
        except EOFError:
            kind, msg = "error", f"a worker process ended at start-up (exit code {proc.exitcode})"
        if kind == "error":
            for other, _ in workers:
                other.kill()
            benchlib.fail(msg)

    w0 = time.monotonic() + a.warmup
    w1 = w0 + a.duration
    for _, pipe in workers:
        pipe.send((w0, w1))
    server = benchlib.ServerCpu(server_pid, include_reaped=True)
    sleep_until(w0)
    server.start()
    t0, client0, busy0 = time.monotonic(), benchlib.tree_cpu_s(os.getpid()), machine_busy_s()
    sleep_until(w1)
    server.stop()
    t1, client1, busy1 = time.monotonic(), benchlib.tree_cpu_s(os.getpid()), machine_busy_s()
    outs = []
    for proc, pipe in workers:
        try:
            outs.extend(pipe.recv()[1])
        except EOFError:
            benchlib.fail(f"a worker process died (exit code {proc.exitcode})", 1)
        proc.join()

    tokens = sum(o["ok"] for o in outs)
    failures = collections.Counter()
    for o in outs:
        failures.update(o["failures"])
    opened = sum(o["opened"] for o in outs)
    closes = sum(o["server_closes"] for o in outs)
    window = t1 - t0
    client_cpu = client1 - client0
    held = opened == a.connections and closes == 0
    result = {
        "tool": "token_load",
        "token_endpoint": target.endpoint,
        "grant_type": "client_credentials",
        "client_id": target.client_id,
        "scope": a.scope,
        "procs": a.procs,
        "connections": a.connections,
        "warmup_s": a.warmup,
        "duration_s": round(window, 3),
        "tokens": tokens,
        "tokens_per_s": round(tokens / window, 1),
        "failures": sum(failures.values()),
        "failures_by_kind": dict(failures),
        "requests_outside_window": sum(o["outside_window"] for o in outs),
        "latency_ms": {k: (round(v, 3) if v is not None else None) for k, v in
                       benchlib.percentiles([x for o in outs for x in o["latencies"]]).items()},
        "keep_alive": {
            "connections_expected": a.connections,
            "tcp_connections_opened": opened,
            "server_closes": closes,
            "held": held,
        },
        "client_cpu_s": round(client_cpu, 3),
        "client_cpu_per_token_us": round(client_cpu / tokens * 1e6, 1) if tokens else None,
        "client_cpu_utilisation": round(client_cpu / window, 3),
        "server_pid": server_pid,
        "server_threads": server_threads(server_pid) if server_pid else None,
        "server_cpu_s": round(server.used, 3) if server_pid else None,
        "server_cpu_per_token_us": round(server.used / tokens * 1e6, 1) if server_pid and tokens else None,
        "server_cpu_utilisation": round(server.used / window, 3) if server_pid else None,
        # Busy CPU of the whole machine in the window not used by this client or the server:
        # other work on the machine (near 0 on a quiet machine), which tokens/s suffers from.
        "other_cpu_utilisation": round((busy1 - busy0 - client_cpu - server.used) / window, 3)
                                 if server_pid else None,
    }
    if a.speed_seconds:
        bound = signing_bound(a.speed_seconds, a.cores)
        result["bound"] = bound
        bound_per_s = bound["rs256_sign_bound_tokens_per_s"]
        result["fraction_of_bound"] = round(result["tokens_per_s"] / bound_per_s, 3)
        if server_pid and tokens:
            # The same ratio from CPU time rather than wall time: the share of the CPU that client
            # and server spent per token that a signature needs. Equal to fraction_of_bound when
            # both use all the cores and nothing else runs; unlike it, robust to other load.
            per_token = (client_cpu + server.used) / tokens * 1e6
            result["fraction_of_bound_by_cpu"] = round(bound["rsa2048_sign_us"] / per_token, 3)
        result["goal_fraction"] = 0.5
        result["meets_goal"] = result["fraction_of_bound"] >= 0.5
    benchlib.emit(result)
    return 0 if tokens and not failures and held else 1


if __name__ == "__main__":
    sys.exit(main())
