#!/usr/bin/env python3
"""Reference: bare TLS 1.3 handshakes between `openssl s_server` and `openssl s_time -new`,
--pairs (default 2) pairs side by side on loopback, each pair its own port.

Set-up, in a temporary directory: a throw-away CA (ECDSA P-256, like the fake's CA) and a server
certificate for localhost / 127.0.0.1 signed by it, with an ECDSA P-256 or RSA 2048 key
(--key-type). The server sends leaf + CA (as the fake does) and offers only TLS 1.3 with the
X25519 group (`-groups X25519`); s_time (which has no -groups option) sends OpenSSL's default
key share, X25519, so no HelloRetryRequest happens. One `openssl s_client -brief` connection
first records what was negotiated (protocol, cipher suite, group, signature type).

Each s_time runs `-new -time S -CAfile ca.pem -verify 2`: it verifies the chain (one ECDSA
signature by the CA) and the CertificateVerify signature, like a mail client does.

Full handshakes: s_time -new makes a new SSL object per connection and never sets a session, so
it cannot resume; it prints one character per connection, 'r' when SSL_session_reused() is true
and '*' otherwise, and this script counts them (resumed = number of 'r'). Note that with TLS 1.3
not even `s_time -reuse` resumes unless it reads application data (-www): the session tickets
arrive after the handshake and s_time closes before reading them.

Figures: handshakes/s = sum over the pairs of (connections / the s_time process's wall time);
CPU = utime + stime of all processes: each s_time from os.wait4() (rusage of the whole run,
including its start-up of a few ms), each s_server from /proc/<pid>/stat sampled just before
the s_time processes start and just after they all exit. s_time's own loop ends between S and
S + 1 s after it starts (it compares whole seconds), so the wall time is measured here.

Output (stdout): one JSON object. Exit code 0, or 2 when a tool fails.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402

EXT = ("basicConstraints=critical,CA:FALSE\n"
       "keyUsage=critical,digitalSignature,keyEncipherment\n"
       "extendedKeyUsage=serverAuth\n"
       "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
       "authorityKeyIdentifier=keyid\n")


def openssl(*args, **kw):
    r = subprocess.run(["openssl", *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, **kw)
    if r.returncode != 0:
        benchlib.fail(f"openssl {args[0]} failed: {r.stderr.strip()[-300:]}")
    return r.stdout


def key_args(key_type):
    if key_type == "rsa":
        return ["-newkey", "rsa:2048"]
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]


def make_pki(d, key_type):
    openssl("req", "-x509", *key_args("ecdsa"), "-nodes", "-keyout", f"{d}/ca.key",
            "-out", f"{d}/ca.pem", "-days", "2", "-subj", "/O=mailharness/CN=bench throw-away CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-new", *key_args(key_type), "-nodes", "-keyout", f"{d}/leaf.key",
            "-out", f"{d}/leaf.csr", "-subj", "/O=mailharness/CN=localhost")
    with open(f"{d}/ext.cnf", "w", encoding="ascii") as f:
        f.write(EXT)
    openssl("x509", "-req", "-in", f"{d}/leaf.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-days", "2", "-sha256", "-extfile", f"{d}/ext.cnf",
            "-out", f"{d}/leaf.pem")


def start_server(d, port, num_tickets):
    cmd = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", f"{d}/leaf.pem",
           "-key", f"{d}/leaf.key", "-cert_chain", f"{d}/ca.pem", "-tls1_3",
           "-groups", "X25519", "-www", "-quiet"]
    if num_tickets is not None:
        cmd += ["-num_tickets", str(num_tickets)]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def negotiated(d, port):
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost",
         "-brief", "-CAfile", f"{d}/ca.pem", "-verify_return_error"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
    text = out.stdout + out.stderr
    facts = {}
    for key, label in (("protocol", "Protocol version"), ("cipher", "Ciphersuite"),
                       ("signature_type", "Signature type"), ("verification", "Verification"),
                       ("group", "Server Temp Key")):
        m = re.search(rf"^{label}: (.*)$", text, re.M)
        facts[key] = m.group(1).strip() if m else None
    if facts["group"]:
        facts["group"] = facts["group"].split(",")[0]
    return facts


def run_pairs(d, a):
    ports = [benchlib.free_port() for _ in range(a.pairs)]
    servers = [start_server(d, p, a.num_tickets) for p in ports]
    try:
        for p in ports:
            benchlib.wait_for_port("127.0.0.1", p)
        tls = negotiated(d, ports[0])
        server_cpu0 = [benchlib.tree_cpu_s(s.pid) for s in servers]
        clients = []
        for p in ports:
            out = tempfile.TemporaryFile(mode="w+", dir=d)
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                ["openssl", "s_time", "-connect", f"127.0.0.1:{p}", "-new", "-time",
                 str(a.seconds), "-CAfile", f"{d}/ca.pem", "-verify", "2"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.DEVNULL)
            clients.append({"proc": proc, "out": out, "t0": t0})
        by_pid = {c["proc"].pid: c for c in clients}
        while any("wall" not in c for c in clients):
            pid, status, ru = os.wait4(-1, 0)  # whichever s_time ends first: its wall time is exact
            c = by_pid.get(pid)
            if c is None:
                benchlib.fail("an openssl s_server ended during the run")
            c["wall"] = time.perf_counter() - c["t0"]
            c["status"] = os.waitstatus_to_exitcode(status)
            c["cpu"] = benchlib.rusage_cpu_s(ru)
            c["proc"].returncode = c["status"]
        server_cpu = [benchlib.tree_cpu_s(s.pid) - c0 for s, c0 in zip(servers, server_cpu0)]
    finally:
        for s in servers:
            s.terminate()
            s.wait()
    return ports, tls, clients, server_cpu


def parse_s_time(text):
    m = re.search(r"(\d+) connections in [\d.]+s;", text)
    # The progress line: one character per connection ('*' full, 'r' resumed, 't' TLS 1.0).
    progress = "".join(re.findall(r"^[*rt23]+$", text, re.M))
    return {
        "connections": int(m.group(1)) if m else None,
        "full": progress.count("*"),
        "resumed": progress.count("r"),
    }


def main():
    p = argparse.ArgumentParser(
        description="Bare TLS 1.3 (X25519) handshakes/s and CPU per handshake of openssl s_server / "
                    "s_time -new pairs run side by side; prints one JSON object.")
    benchlib.add_key_type_arg(p)
    p.add_argument("--seconds", type=int, default=10, help="s_time -time (default 10)")
    p.add_argument("--pairs", type=int, default=2, help="s_server/s_time pairs (default 2)")
    p.add_argument("--num-tickets", type=int, default=None,
                   help="s_server -num_tickets (default: OpenSSL's, 2 per TLS 1.3 handshake)")
    a = p.parse_args()
    if a.seconds < 1 or a.pairs < 1:
        benchlib.fail("--seconds and --pairs must be >= 1")

    with tempfile.TemporaryDirectory(prefix="mh-openssl-pairs-") as d:
        make_pki(d, a.key_type)
        ports, tls, clients, server_cpu = run_pairs(d, a)
        per_pair = []
        for port, c, scpu in zip(ports, clients, server_cpu):
            c["out"].seek(0)
            st = parse_s_time(c["out"].read())
            if c["status"] != 0 or not st["connections"]:
                benchlib.fail(f"s_time on port {port} failed (exit {c['status']})")
            per_pair.append({
                "port": port,
                "handshakes": st["connections"],
                "full": st["full"],
                "resumed": st["resumed"],
                "wall_s": round(c["wall"], 3),
                "handshakes_per_s": round(st["connections"] / c["wall"], 1),
                "client_cpu_s": round(c["cpu"], 3),
                "server_cpu_s": round(scpu, 3),
            })

    n = sum(x["handshakes"] for x in per_pair)
    ccpu = sum(x["client_cpu_s"] for x in per_pair)
    scpu = sum(x["server_cpu_s"] for x in per_pair)
    resumed = sum(x["resumed"] for x in per_pair)
    benchlib.emit({
        "tool": "openssl_pairs",
        "openssl": openssl("version").strip(),
        "key_type": benchlib.key_type_name(a.key_type),
        "ca_key_type": "ec_p256",
        "pairs": a.pairs,
        "seconds": a.seconds,
        "tls": tls,
        "handshakes": n,
        "resumed": resumed,
        "all_full_handshakes": resumed == 0 and all(x["full"] == x["handshakes"] for x in per_pair),
        "handshakes_per_s": round(sum(x["handshakes_per_s"] for x in per_pair), 1),
        "cpu_s": {"clients": round(ccpu, 3), "servers": round(scpu, 3),
                  "total": round(ccpu + scpu, 3)},
        "cpu_per_handshake_us": {"client": round(ccpu / n * 1e6, 1),
                                 "server": round(scpu / n * 1e6, 1),
                                 "total": round((ccpu + scpu) / n * 1e6, 1)},
        "per_pair": per_pair,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
