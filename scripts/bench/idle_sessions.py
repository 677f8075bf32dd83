#!/usr/bin/env python3
"""Memory per idle authenticated IMAP session on a server: open --sessions N (default 10000)
sessions over implicit TLS, authenticate each (greeting, CAPABILITY, AUTHENTICATE XOAUTH2 with
the initial response; --examine adds EXAMINE INBOX), hold them all open and idle, and measure
the server's resident memory.

Method:
  1. --warmup-logins whole logins first (default 32), so that what the server sets up once
     (contexts, caches, allocator arenas) is in the baseline, not charged to the sessions.
  2. before = VmRSS of --server-pid and its descendants (/proc/<pid>/status, summed).
  3. open the N sessions, at most --open-concurrency handshakes at a time, and keep them.
  4. wait --settle seconds, then after = VmRSS as in 2.
     KiB per session = (after - before) / sessions opened.
  5. while they are held: one new whole login (connect, TLS, … EXAMINE INBOX, LOGOUT) must
     succeed, and every held session must still answer NOOP with OK.
  6. drop them all (TCP abort), wait --settle seconds, and report VmRSS again (memory returned).

Each session needs one descriptor on each side, so this script raises its RLIMIT_NOFILE to the
hard limit and refuses to run if that is below N + 64. The server needs the same: start the
fake with `mailharness fake --max-sessions N+100` (the fake raises its own soft limit to the hard
one). The kernel's ephemeral port range must hold N connections to one port.

Output (stdout): one JSON object. Exit code 0 when every session opened, the new login worked
and every held session answered; 1 otherwise; 2 on a usage error.
"""

import argparse
import asyncio
import os
import resource
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import benchlib  # noqa: E402


async def open_session(a, ctx, token, sem):
    async with sem:
        c = None
        try:
            async with asyncio.timeout(a.timeout):
                c = await benchlib.Imap.open(a.host, a.port, ctx, a.server_name)
                await c.greeting()
                await c.command("CAPABILITY")
                await c.authenticate_xoauth2(a.user, token)
                if a.examine:
                    await c.command("EXAMINE INBOX")
            return c, None
        except benchlib.ProtocolError as e:
            err = str(e)
        except TimeoutError:
            err = "timeout"
        except OSError as e:
            err = type(e).__name__ + (f" {e.errno}" if e.errno else "")
        if c is not None:
            c.abort()
        return None, err


async def noop(c, sem, timeout):
    async with sem:
        try:
            async with asyncio.timeout(timeout):
                status, _ = await c.command("NOOP", expect_ok=False)
            return status == "OK"
        except (benchlib.ProtocolError, TimeoutError, OSError):
            return False


async def run(a, token):
    ctx = benchlib.client_tls_context(a.ca_file, a.insecure)
    for _ in range(a.warmup_logins):
        await benchlib.imap_login(a.host, a.port, ctx, a.server_name, a.user, token)
    await asyncio.sleep(a.settle)
    before = benchlib.tree_rss_kib(a.server_pid)

    sem = asyncio.Semaphore(a.open_concurrency)
    t0 = time.perf_counter()
    results = await asyncio.gather(*(open_session(a, ctx, token, sem) for _ in range(a.sessions)))
    open_s = time.perf_counter() - t0
    held = [c for c, _ in results if c is not None]
    errors = {}
    for _, e in results:
        if e:
            errors[e] = errors.get(e, 0) + 1

    await asyncio.sleep(a.settle)
    after = benchlib.tree_rss_kib(a.server_pid)
    client_rss = benchlib.tree_rss_kib(os.getpid())

    new_login_ok, new_login_error = True, None
    try:
        async with asyncio.timeout(a.timeout):
            await benchlib.imap_login(a.host, a.port, ctx, a.server_name, a.user, token)
    except (benchlib.ProtocolError, TimeoutError, OSError) as e:
        new_login_ok, new_login_error = False, str(e) or type(e).__name__
    alive = sum(await asyncio.gather(*(noop(c, sem, a.timeout) for c in held)))

    for c in held:
        c.abort()
    await asyncio.sleep(a.settle)
    after_close = benchlib.tree_rss_kib(a.server_pid)

    per_session = (after - before) / len(held) if held else None
    return {
        "tool": "idle_sessions",
        "protocol": "imap",
        "mechanism": "xoauth2",
        "target": f"{a.host}:{a.port}",
        "server_pid": a.server_pid,
        "sessions_requested": a.sessions,
        "sessions_open": len(held),
        "open_errors": errors,
        "examine": a.examine,
        "open_s": round(open_s, 3),
        "opened_per_s": round(len(held) / open_s, 1) if open_s > 0 else None,
        "server_rss_kib": {"before": before, "held": after, "after_close": after_close},
        "kib_per_session": round(per_session, 2) if per_session is not None else None,
        "new_login_while_held": new_login_ok,
        "new_login_error": new_login_error,
        "held_sessions_answering_noop": alive,
        "client_rss_kib_held": client_rss,
        "nofile_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
    }


def main():
    p = argparse.ArgumentParser(
        description="Hold N authenticated idle IMAP sessions (XOAUTH2, implicit TLS) and measure the "
                    "server's resident memory per session; prints one JSON object.")
    benchlib.add_target_args(p, "IMAP implicit-TLS port", server_pid_required=True)
    p.add_argument("--sessions", type=int, default=10000, help="sessions to hold (default 10000)")
    p.add_argument("--open-concurrency", type=int, default=64,
                   help="logins in progress at a time while opening (default 64)")
    p.add_argument("--examine", action="store_true", help="also EXAMINE INBOX in each session")
    p.add_argument("--warmup-logins", type=int, default=32, help="whole logins before (default 32)")
    p.add_argument("--settle", type=float, default=1.0, help="seconds before each RSS reading")
    p.add_argument("--timeout", type=float, default=60, help="seconds per login (default 60)")
    a = p.parse_args()
    if a.sessions < 1 or a.open_concurrency < 1 or a.warmup_logins < 0 or a.settle < 0:
        benchlib.fail("--sessions and --open-concurrency must be >= 1")
    benchlib.check_target_args(a)
    soft, hard = benchlib.raise_nofile()
    if soft < a.sessions + 64:
        benchlib.fail(f"RLIMIT_NOFILE is {soft} (hard {hard}): too low for {a.sessions} sessions")
    token = benchlib.read_token(a.token_file)
    out = asyncio.run(run(a, token))
    benchlib.emit(out)
    good = (out["sessions_open"] == a.sessions and out["new_login_while_held"]
            and out["held_sessions_answering_noop"] == a.sessions)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
