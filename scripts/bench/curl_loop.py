#!/usr/bin/env python3
"""Reference: --parallel P loops, each starting one curl process after another; each curl does
one IMAP XOAUTH2 login over implicit TLS and ends:

  curl imaps://<server-name>:<port>/ --cacert CA --user USER: --oauth2-bearer TOKEN
       --login-options AUTH=XOAUTH2 --request 'EXAMINE INBOX'

i.e. connect, TLS 1.3 (full handshake, a new process each time), greeting, CAPABILITY,
AUTHENTICATE XOAUTH2 with the initial response (the server advertises SASL-IR), EXAMINE INBOX,
LOGOUT. The options reach curl as a config file on its standard input (`-K -`), so the token is
never on a command line (where `ps` would show it). --server-name is resolved to --host with
curl's --resolve, so the certificate is checked against that name.

Figures: a login counts in the measured window (after --warmup, lasting --duration) when its
curl process exits inside it; logins/s = successful exits / window. CPU per login = user +
system time of those curl processes (each reaped with os.wait4, so fork/exec, dynamic loading
and curl's start-up are included: that is the cost of this way of logging in) divided by their
number. This script's own CPU (the loops) is reported apart, not included.

Output (stdout): one JSON object. Exit code 0 when every login in the window succeeded, 1
otherwise, 2 on a usage error.
"""

import argparse
import os
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402


def curl_config(a, token):
    def q(v):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = [
        f"url = {q(f'imaps://{a.server_name}:{a.port}/')}",
        f"resolve = {q(f'{a.server_name}:{a.port}:{a.host}')}",
        f"user = {q(a.user + ':')}",
        f"oauth2-bearer = {q(token)}",
        f"login-options = {q('AUTH=XOAUTH2')}",
        f"request = {q('EXAMINE INBOX')}",
        "silent",
        "tlsv1.3",
        f"max-time = {a.timeout}",
    ]
    lines.append("insecure" if a.insecure else f"cacert = {q(a.ca_file)}")
    return ("\n".join(lines) + "\n").encode()


def loop(a, config, stop, results, lock):
    while not stop.is_set():
        p = subprocess.Popen(["curl", "-K", "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        p.stdin.write(config)
        p.stdin.close()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        with lock:
            results.append((time.perf_counter(), p.returncode, benchlib.rusage_cpu_s(ru)))


def main():
    p = argparse.ArgumentParser(
        description="A loop of curl processes, each one IMAP XOAUTH2 login (EXAMINE INBOX); "
                    "logins/s and the curl processes' CPU per login; prints one JSON object.")
    benchlib.add_target_args(p, "IMAP implicit-TLS port")
    p.add_argument("--parallel", type=int, default=2, help="concurrent curl loops (default 2)")
    p.add_argument("--duration", type=float, default=10, help="measured seconds (default 10)")
    p.add_argument("--warmup", type=float, default=1, help="seconds before measuring (default 1)")
    p.add_argument("--timeout", type=int, default=30, help="curl --max-time (default 30)")
    a = p.parse_args()
    if a.parallel < 1 or a.duration <= 0 or a.warmup < 0:
        benchlib.fail("--parallel must be >= 1, --duration > 0, --warmup >= 0")
    benchlib.check_target_args(a)
    config = curl_config(a, benchlib.read_token(a.token_file))
    version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split("\n")[0]

    stop, lock, results = threading.Event(), threading.Lock(), []
    threads = [threading.Thread(target=loop, args=(a, config, stop, results, lock))
               for _ in range(a.parallel)]
    for t in threads:
        t.start()
    server = benchlib.ServerCpu(a.server_pid)
    time.sleep(a.warmup)
    server.start()
    w0, own0 = time.perf_counter(), benchlib.own_cpu_s()
    time.sleep(a.duration)
    w1, own1 = time.perf_counter(), benchlib.own_cpu_s()
    server.stop()
    stop.set()
    for t in threads:
        t.join()

    window = w1 - w0
    in_window = [r for r in results if w0 <= r[0] < w1]
    ok = [r for r in in_window if r[1] == 0]
    errors = {}
    for r in in_window:
        if r[1] != 0:
            errors[f"curl exit {r[1]}"] = errors.get(f"curl exit {r[1]}", 0) + 1
    cpu = sum(r[2] for r in in_window)
    benchlib.emit({
        "tool": "curl_loop",
        "curl": version,
        "protocol": "imap",
        "mechanism": "xoauth2",
        "parallel": a.parallel,
        "warmup_s": a.warmup,
        "duration_s": a.duration,
        "target": f"{a.host}:{a.port}",
        "window_s": round(window, 4),
        "ok": len(ok),
        "failed": len(in_window) - len(ok),
        "errors": errors,
        "logins_per_s": round(len(ok) / window, 2),
        "curl_cpu_s": round(cpu, 4),
        "client_cpu_per_login_us": round(cpu / len(in_window) * 1e6, 1) if in_window else None,
        "driver_cpu_s": round(own1 - own0, 4),
        **server.figures(len(ok)),
    })
    return 0 if in_window and len(ok) == len(in_window) else 1


if __name__ == "__main__":
    sys.exit(main())
