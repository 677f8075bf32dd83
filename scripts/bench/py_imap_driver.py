#!/usr/bin/env python3
"""Reference load generator: a Python asyncio + ssl driver doing the login work of
`mailharness bench --protocol imap|pop3` (closed model), for the CPU-per-login comparison.

Each of --concurrency workers repeats one login, then the next, on a fresh connection:

  IMAP: connect, TLS 1.3 (full handshake: no session is ever reused), greeting, CAPABILITY,
        AUTHENTICATE XOAUTH2 <initial response>, CAPABILITY (as mailharness does after
        authentication), EXAMINE INBOX (the probe), LOGOUT, close.
  POP3: connect, TLS, greeting, CAPA, AUTH XOAUTH2 then the response after "+ " (two-step, as
        Exchange requires), STAT (the probe), QUIT, close.

The token is read once from --token-file and used for every login (mailharness bench's
`--token cached`). Nothing is measured during --warmup; the measured window then lasts
--duration seconds. A login counts in the window when it ends inside it; latency is from the
start of connect to the close. Client CPU is resource.getrusage(RUSAGE_SELF) (user + system)
sampled at both ends of the window, so it covers everything this process did in it.

Output (stdout): one JSON object, e.g.
  {"tool": "py_imap_driver", "protocol": "imap", "logins_per_s": ..., "ok": ..., "failed": ...,
   "client_cpu_s": ..., "client_cpu_per_login_us": ..., "latency_ms": {"p50": ...}, ...}
Exit code: 0 when no login failed in the window, 1 otherwise, 2 on a usage error.
"""

import argparse
import asyncio
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402


async def worker(a, ctx, token, done, stop):
    login = benchlib.imap_login if a.protocol == "imap" else benchlib.pop3_login
    while not stop.is_set():
        t0 = time.perf_counter()
        error = None
        try:
            async with asyncio.timeout(a.timeout):
                await login(a.host, a.port, ctx, a.server_name, a.user, token, not a.no_probe)
        except benchlib.ProtocolError as e:
            error = str(e)
        except TimeoutError:
            error = "timeout"
        except (OSError, EOFError) as e:  # ssl.SSLError is an OSError
            error = type(e).__name__
        t1 = time.perf_counter()
        done.append((t1, t1 - t0, error))


async def run(a, token):
    ctx = benchlib.client_tls_context(a.ca_file, a.insecure)
    done, stop = [], asyncio.Event()  # done: (end time, latency s, error or None) per login
    tasks = [asyncio.create_task(worker(a, ctx, token, done, stop)) for _ in range(a.concurrency)]
    server = benchlib.ServerCpu(a.server_pid)
    await asyncio.sleep(a.warmup)
    server.start()
    w0, cpu0 = time.perf_counter(), benchlib.own_cpu_s()
    await asyncio.sleep(a.duration)
    w1, cpu1 = time.perf_counter(), benchlib.own_cpu_s()
    server.stop()
    stop.set()
    await asyncio.wait(tasks, timeout=a.timeout + 5)
    for t in tasks:
        t.cancel()

    in_window = [d for d in done if w0 <= d[0] < w1]
    errors = {}
    for d in in_window:
        if d[2] is not None:
            errors[d[2]] = errors.get(d[2], 0) + 1
    failed = sum(errors.values())
    ok = len(in_window) - failed
    window = w1 - w0
    cpu = cpu1 - cpu0
    return {
        "tool": "py_imap_driver",
        "protocol": a.protocol,
        "mechanism": "xoauth2",
        "model": "closed",
        "concurrency": a.concurrency,
        "warmup_s": a.warmup,
        "duration_s": a.duration,
        "probe": not a.no_probe,
        "target": f"{a.host}:{a.port}",
        "python": sys.version.split()[0],
        "openssl": benchlib.ssl.OPENSSL_VERSION,
        "window_s": round(window, 4),
        "ok": ok,
        "failed": failed,
        "errors": errors,
        "logins_per_s": round(ok / window, 2),
        "error_rate": round(failed / len(in_window), 6) if in_window else None,
        "client_cpu_s": round(cpu, 4),
        "client_cpu_per_login_us": round(cpu / ok * 1e6, 1) if ok else None,
        "client_cpu_utilisation": round(cpu / window, 3),
        **server.figures(ok),
        "latency_ms": {k: (round(v * 1e3, 3) if v is not None else None)
                       for k, v in benchlib.percentiles([d[1] for d in in_window if d[2] is None]).items()},
    }


def main():
    p = argparse.ArgumentParser(
        description="Python asyncio + ssl load generator: closed-model IMAP or POP3 XOAUTH2 logins "
                    "(the same login work as mailharness bench); prints one JSON object.")
    p.add_argument("--protocol", choices=["imap", "pop3"], default="imap")
    benchlib.add_target_args(p, "implicit-TLS port of the server")
    p.add_argument("--concurrency", type=int, default=16, help="workers (default 16)")
    p.add_argument("--duration", type=float, default=10, help="measured seconds (default 10)")
    p.add_argument("--warmup", type=float, default=2, help="seconds before measuring (default 2)")
    p.add_argument("--no-probe", action="store_true", help="skip EXAMINE INBOX / STAT")
    p.add_argument("--timeout", type=float, default=30, help="seconds per login (default 30)")
    a = p.parse_args()
    if a.concurrency < 1 or a.duration <= 0 or a.warmup < 0:
        benchlib.fail("--concurrency must be >= 1, --duration > 0, --warmup >= 0")
    benchlib.check_target_args(a)
    benchlib.raise_nofile()
    token = benchlib.read_token(a.token_file)
    out = asyncio.run(run(a, token))
    benchlib.emit(out)
    return 0 if out["failed"] == 0 and out["ok"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
