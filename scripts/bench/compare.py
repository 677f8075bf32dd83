#!/usr/bin/env python3
"""The side-by-side comparisons of BENCHMARKS.md (issue 7, goals 1-6), run one after the other
in one run on one machine, so the ratios compare like with like.

    scripts/bench/compare.py --mailharness build/release/harness/mailharness --out /tmp/mh-compare

Writes one JSON file per measurement into --out and prints the tables (Markdown) with the
ratios. Needs root for Dovecot (skipped otherwise, or with --no-dovecot). Loopback only.
Each step runs for --seconds (default 10) after a 2 s warm-up."""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, out_file, env=None):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1):
        sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    doc = json.loads(p.stdout) if p.stdout.strip().startswith("{") else None
    if doc is not None:
        with open(out_file, "w") as f:
            json.dump(doc, f, indent=2)
    return doc


def bench(mh, out, name, args):
    """mailharness bench; returns bench.results and counters."""
    d = os.path.join(out, name)
    cmd = [mh, "bench", "--quiet", "--out", d, *args]
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit("mailharness bench failed (%d): %s" % (p.returncode, (p.stdout + p.stderr)[-2000:]))
    rep = json.load(open(os.path.join(d, "report.json")))
    b = rep["bench"]
    return {"results": b["results"], "counters": b["counters"], "p50_ms": b["phases"]["total"]["summary"]["p50"],
            "p99_ms": b["phases"]["total"]["summary"]["p99"]}


class Fake:
    """`mailharness fake` in its own process, and a client-credentials token file."""

    def __init__(self, mh, d, key_type):
        os.makedirs(d, exist_ok=True)
        self.ready = os.path.join(d, "ready.json")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.proc = subprocess.Popen([mh, "fake", "--ready-file", self.ready, "--state-dir", os.path.join(d, "state"),
                                      "--max-sessions", "10100", "--key-type", key_type],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                sys.exit("the fake exited")
            time.sleep(0.05)
        time.sleep(0.2)
        self.info = json.load(open(self.ready))
        self.token = os.path.join(d, "token")
        fd = os.open(self.token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            subprocess.run([mh, "token", "--profile", self.ready, "--no-cache", "--print-token"], stdout=f, check=True)
        self.ca = self.info["ca_file"]
        self.user = self.info["demo"]["mailboxes"][0] if "mailboxes" in self.info.get("demo", {}) else "alice@contoso.onmicrosoft.com"

    def port(self, proto):
        return str(self.info["endpoints"][proto]["port"])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mailharness", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--no-dovecot", action="store_true")
    ap.add_argument("--sessions", type=int, default=10000, help="idle sessions for goal 4")
    a = ap.parse_args()
    mh, out, secs = os.path.abspath(a.mailharness), a.out, str(a.seconds)
    os.makedirs(out, exist_ok=True)
    py = sys.executable
    R = {}
    common = ["--duration", secs, "--warmup", "2", "--concurrency", str(a.concurrency)]

    # Goal 1: bench on the embedded fake vs two openssl pairs, same certificate type; the bound.
    for kt in ("ecdsa", "rsa"):
        R["pairs_" + kt] = run_json([py, os.path.join(HERE, "openssl_pairs.py"), "--key-type", kt, "--seconds", secs],
                                    os.path.join(out, "pairs_%s.json" % kt))
        R["bench_" + kt] = bench(mh, out, "bench_" + kt, ["--key-type", kt, *common])
        R["bench2_" + kt] = bench(mh, out, "bench2_" + kt, ["--key-type", kt, "--threads", "2", *common])
        R["pk_" + kt] = run_json([py, os.path.join(HERE, "pk_bound.py"), "--key-type", kt],
                                 os.path.join(out, "pk_%s.json" % kt))

    # Goals 2 and 3: the fake as its own process, driven by mailharness, Python and curl.
    fake = Fake(mh, os.path.join(out, "fake"), "ecdsa")
    try:
        for proto in ("imap", "pop3"):
            R["fake_" + proto] = bench(mh, out, "fake_" + proto, ["--profile", fake.ready, "--protocol", proto,
                                                                  "--server-pid", str(fake.proc.pid), *common])
            R["py_" + proto] = run_json([py, os.path.join(HERE, "py_imap_driver.py"), "--protocol", proto, "--port",
                                         fake.port(proto), "--ca-file", fake.ca, "--user", fake.user, "--token-file",
                                         fake.token, "--server-pid", str(fake.proc.pid), "--concurrency",
                                         str(a.concurrency), "--duration", secs],
                                        os.path.join(out, "py_%s.json" % proto))
        R["curl"] = run_json([py, os.path.join(HERE, "curl_loop.py"), "--port", fake.port("imap"), "--ca-file", fake.ca,
                              "--user", fake.user, "--token-file", fake.token, "--duration", secs],
                             os.path.join(out, "curl.json"))
        R["idle"] = run_json([py, os.path.join(HERE, "idle_sessions.py"), "--port", fake.port("imap"), "--ca-file",
                              fake.ca, "--user", fake.user, "--token-file", fake.token, "--server-pid",
                              str(fake.proc.pid), "--sessions", str(a.sessions)], os.path.join(out, "idle.json"))
        # Goal 5: the token endpoint over keep-alive, driven by mailharness and by Python.
        R["token_bench"] = bench(mh, out, "token_bench", ["--protocol", "token", "--profile", fake.ready,
                                                          "--server-pid", str(fake.proc.pid), "--duration", secs,
                                                          "--warmup", "2", "--concurrency", "16"])
        R["token_py"] = run_json([py, os.path.join(HERE, "token_load.py"), "--ready", fake.ready, "--server-pid",
                                  str(fake.proc.pid), "--duration", secs], os.path.join(out, "token_py.json"))
    finally:
        fake.stop()

    # Goal 2: Dovecot tuned, same driver and login work (3 messages like the fake's mailbox).
    if not a.no_dovecot and os.geteuid() == 0:
        ddir = "/dev/shm/mh-dovecot-compare"
        dv = run_json([py, os.path.join(HERE, "dovecot_bench.py"), "start", "--dir", ddir, "--key-type", "ecdsa",
                       "--messages", "3"], os.path.join(out, "dovecot.json"))
        try:
            user = dv["users"][0] if isinstance(dv["users"], list) else sorted(dv["users"])[0]
            tok = dv["token_files"][user]
            for proto, key in (("imap", "imaps"), ("pop3", "pop3s")):
                R["dovecot_" + proto] = bench(mh, out, "dovecot_" + proto, [
                    "--host", "127.0.0.1", "--port", str(dv[key]), "--tls", "implicit", "--ca-file", dv["ca_file"],
                    "--user", user, "--token-file", tok, "--protocol", proto, "--server-pid", str(dv["master_pid"]),
                    *common])
        finally:
            subprocess.run([py, os.path.join(HERE, "dovecot_bench.py"), "stop", "--dir", ddir], capture_output=True)

    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(R, f, indent=2)
    print(json.dumps(R, indent=2))


if __name__ == "__main__":
    main()
