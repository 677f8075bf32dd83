#!/usr/bin/env python3
"""`mailharness bench` end to end, short runs on loopback (numbers are never asserted, only
what must hold for any numbers): the report set is written and matches the schema; every
counted login is in the total histogram and in the timeline; the open model issues exactly
rate x duration arrivals and records their queueing; shards split the work and merge back
exactly; per-login tokens make one token request per login, cached tokens none in the window;
TLS resumption resumes only when asked; RSA and ECDSA certificates; POP3 and SMTP; a refused
token counts failures and exits 1; an unreachable server exits 3; a tenant profile needs
--allow-tenant-load; a running fake with --server-pid reports server CPU; SIGINT writes a
report marked interrupted. No secret in any output.
Usage: test_bench_cli.py path/to/mailharness path/to/report.schema.json"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from fake_process import FakeExchange  # noqa: E402
from clitest import check  # noqa: E402
import clitest  # noqa: E402

MH, SCHEMA = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="mh-bench-cli-")
state = os.path.join(tmp, "state")




def bench(name, *args, timeout=120):
    out = os.path.join(tmp, name)
    p = subprocess.run([MH, "bench", "--quiet", "--out", out, "--state-dir", state, *args],
                       capture_output=True, text=True, timeout=timeout)
    rep = None
    if os.path.exists(os.path.join(out, "report.json")):
        rep = json.load(open(os.path.join(out, "report.json")))
    return p.returncode, p.stdout + p.stderr, rep, out


def validate(doc, what):
    clitest.validate(doc, what, SCHEMA)


def consistent(rep, what):
    """Counters, histograms and timeline agree with each other."""
    b = rep["bench"]
    c = b["counters"]
    total = b["phases"]["total"]["histogram"]["count"]
    check(c["ok"] + c["failed"] == c["attempts"], "%s: ok + failed = attempts (%s)" % (what, c))
    check(total == c["attempts"] - sum(e["count"] for e in rep["records"][0]["errors"] if e["phase"] == "token"),
          "%s: every login that reached the server is in the total histogram (%d)" % (what, total))
    tl_ok = sum(s["ok"] for s in b["timeline"])
    tl_failed = sum(s["failed"] for s in b["timeline"])
    check(tl_ok == c["ok"], "%s: the timeline holds every successful login (%d vs %d)" % (what, tl_ok, c["ok"]))
    check(sum(s["histogram"]["count"] for s in b["timeline"]) == tl_ok + tl_failed,
          "%s: timeline histograms count their logins" % what)
    r = b["results"]
    check(abs(r["logins_per_s"] - c["ok"] / b["window_s"]) < 1e-6 * max(1, r["logins_per_s"]),
          "%s: logins/s = ok / window (%s)" % (what, r["logins_per_s"]))
    check(rep["records"][0]["logins"]["ok"] == c["ok"], "%s: the record's logins match the counters" % what)


# 1. Closed model on the embedded fake: pass, the report set, consistent figures.
rc, text, rep, out = bench("closed", "--concurrency", "4", "--duration", "1.5", "--warmup", "0.5")
check(rc == 0, "closed model: exit 0 (%d: %s)" % (rc, text[-400:]))
check(rep is not None and sorted(os.listdir(out)) == ["junit.xml", "report.html", "report.json", "report.md"],
      "closed model: the report set is written")
if rep:
    validate(rep, "closed-model report")
    consistent(rep, "closed")
    b = rep["bench"]
    check(b["config"]["model"] == "closed" and b["config"]["concurrency"] == 4, "config records the model and workers")
    check(b["counters"]["ok"] > 0 and b["counters"]["failed"] == 0, "closed model: logins succeed")
    for ph in ("connect", "tls", "greeting", "capability", "auth", "probe", "logout", "token"):
        check(ph in b["phases"], "phase %s is measured" % ph)
    check("queue" not in b["phases"], "no queue phase in the closed model")
    check(b["counters"]["token_requests"] == 0, "cached token: no token request inside the window")
    check(b["counters"]["client_cpu_ns"] > 0 and b["counters"].get("server_cpu_ns", 0) > 0,
          "client and embedded-server CPU are measured")
    check(b["counters"]["resumed"] == 0, "no TLS resumption unless asked")
    check("logins/s" in text, "the console shows logins/s")

# 2. Open model: exactly rate x duration arrivals, latency from the intended start.
rc, text, rep, _ = bench("open", "--rate", "40", "--duration", "2", "--warmup", "0.5")
check(rc == 0, "open model: exit 0 (%d: %s)" % (rc, text[-300:]))
if rep:
    consistent(rep, "open")
    c = rep["bench"]["counters"]
    check(c["attempts"] == 80, "open model: 40/s for 2 s is 80 arrivals (%d)" % c["attempts"])
    check(rep["bench"]["phases"]["queue"]["histogram"]["count"] == 80, "open model: each arrival's queueing is recorded")
    tot = rep["bench"]["phases"]["total"]["histogram"]
    conn = rep["bench"]["phases"]["connect"]["histogram"]
    check(tot["min"] >= conn["min"], "total latency includes the phases")
    check("late_starts" in c, "open model counts late starts")

# 3. Shards split the workers and merge back exactly.
reps = []
for i in (1, 2):
    rc, text, rep, _ = bench("shard%d" % i, "--concurrency", "3", "--duration", "1", "--warmup", "0.3",
                             "--shard", "%d/2" % i)
    check(rc == 0, "shard %d/2: exit 0 (%d)" % (i, rc))
    reps.append(rep)
if all(reps):
    check([r["bench"]["config"]["concurrency"] for r in reps] == [2, 1], "shards take 2 and 1 of 3 workers")
    merged = os.path.join(tmp, "merged")
    p = subprocess.run([MH, "report", "merge", os.path.join(tmp, "shard1", "report.json"),
                        os.path.join(tmp, "shard2", "report.json"), "--out", merged], capture_output=True, text=True)
    check(p.returncode == 0, "report merge of bench shards: exit 0 (%s)" % (p.stdout + p.stderr)[-300:])
    if p.returncode == 0:
        m = json.load(open(os.path.join(merged, "report.json")))
        validate(m, "merged bench report")
        mc = m["bench"]["counters"]
        check(mc["ok"] == sum(r["bench"]["counters"]["ok"] for r in reps), "merged ok = sum of the shards")
        check(m["bench"]["phases"]["total"]["histogram"]["count"] ==
              sum(r["bench"]["phases"]["total"]["histogram"]["count"] for r in reps), "merged histogram counts add up")
        check(m["bench"]["config"]["concurrency"] == 3, "merged config: 3 workers in all")
        check(len(m["records"]) == 1, "the shards' records combine into one")

# 4. Per-login tokens: one token request per login.
rc, text, rep, _ = bench("perlogin", "--concurrency", "2", "--duration", "1", "--warmup", "0.3", "--token", "per-login")
check(rc == 0, "per-login tokens: exit 0 (%d: %s)" % (rc, text[-300:]))
if rep:
    c = rep["bench"]["counters"]
    check(c["token_requests"] == c["attempts"] and c["attempts"] > 0,
          "per-login: token requests = logins (%d/%d)" % (c["token_requests"], c["attempts"]))
    check(rep["bench"]["config"]["token_keepalive"] is True, "per-login token requests keep their connection by default")

# 4a. The token endpoint alone: one token request per operation, no mail phase.
rc, text, rep, _ = bench("token", "--protocol", "token", "--concurrency", "2", "--duration", "1", "--warmup", "0.3")
check(rc == 0, "--protocol token: exit 0 (%d: %s)" % (rc, text[-300:]))
if rep:
    consistent(rep, "token")
    validate(rep, "token-endpoint report")
    c = rep["bench"]["counters"]
    check(c["token_requests"] == c["attempts"] > 0, "--protocol token: a token request per operation (%s)" % c)
    check(sorted(rep["bench"]["phases"]) == ["token", "total"], "--protocol token: only token and total phases")

# 4b. Keep-alive or not, as the fake counts HTTPS connections (GET /_fake/stats).
with FakeExchange(MH) as fx:
    def identity_connections():
        with urllib.request.urlopen(fx.ready["control"] + "/stats", context=fx.ssl, timeout=10) as r:
            return json.load(r)["identity_connections"]
    for name, extra in (("keepalive", []), ("no-keepalive", ["--no-keepalive"])):
        before = identity_connections()
        rc, text, rep, _ = bench(name, "--profile", fx.ready_path, "--concurrency", "2", "--duration", "1",
                                 "--warmup", "0", "--token", "per-login", *extra)
        opened = identity_connections() - before - 1  # minus our own GET
        requests = rep["bench"]["counters"]["token_requests"] if rep else 0
        check(rc == 0 and requests > 10, "%s: exit 0 and token requests made (%d: %d)" % (name, rc, requests))
        if extra:
            check(opened >= requests, "--no-keepalive: a connection per token request (%d for %d)" % (opened, requests))
        else:
            check(opened <= 9, "keep-alive: token requests share a few connections (%d for %d)" % (opened, requests))

# 5. TLS resumption when asked; RSA certificates; POP3 and SMTP.
rc, text, rep, _ = bench("resume", "--concurrency", "2", "--duration", "1", "--warmup", "0.3", "--tls-resumption")
check(rc == 0 and rep and rep["bench"]["counters"]["resumed"] > 0,
      "--tls-resumption resumes sessions (%s)" % (rep and rep["bench"]["counters"]))
rc, text, rep, _ = bench("rsa", "--concurrency", "2", "--duration", "1", "--warmup", "0.3", "--key-type", "rsa")
check(rc == 0 and rep and rep["bench"]["config"]["key_type"] == "rsa2048", "--key-type rsa: logins pass")
for proto in ("pop3", "smtp"):
    rc, text, rep, _ = bench(proto, "--protocol", proto, "--concurrency", "2", "--duration", "1", "--warmup", "0.3")
    check(rc == 0 and rep and rep["bench"]["counters"]["ok"] > 0, "%s bench passes (%d: %s)" % (proto, rc, text[-200:]))

# 6. A refused token: failures counted by class, exit 1, the token never shown.
bad = os.path.join(tmp, "bad-token")
bad_token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW5vdC12YWxpZA"
with open(bad, "w") as f:
    f.write(bad_token)
rc, text, rep, out = bench("refused", "--concurrency", "2", "--duration", "0.5", "--warmup", "0", "--token-file", bad)
check(rc == 1, "refused token: exit 1 (%d)" % rc)
if rep:
    errs = rep["records"][0]["errors"]
    check(rep["bench"]["counters"]["failed"] > 0 and errs and errs[0]["class"] == "rejected" and errs[0]["phase"] == "auth",
          "refused logins are counted as rejected in phase auth (%s)" % errs[:1])
    check(rep["records"][0]["outcome"] == "fail", "the record fails")
    hits = [f for f in os.listdir(out) if bad_token in open(os.path.join(out, f), errors="replace").read()]
    check(not hits and bad_token not in text, "the token appears in no output (%s)" % hits)

# 7. Unreachable server: exit 3.
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
rc, text, rep, _ = bench("unreachable", "--host", "127.0.0.1", "--port", str(port), "--user", "a@b.test",
                         "--token-file", bad, "--concurrency", "1", "--duration", "0.3", "--warmup", "0")
check(rc == 3, "unreachable server: exit 3 (%d: %s)" % (rc, text[-200:]))
check(rep and rep["records"][0]["outcome"] == "error", "unreachable server: the record is an error")

# 8. A real tenant's profile needs --allow-tenant-load.
prof = os.path.join(tmp, "tenant.json")
with open(prof, "w") as f:
    json.dump({"format": "mailharness.profile/1", "tenant": "contoso.onmicrosoft.com",
               "client_id": "00000000-0000-0000-0000-000000000001", "mailboxes": ["a@contoso.test"]}, f)
rc, text, rep, _ = bench("tenant", "--profile", prof)
check(rc == 2 and "--allow-tenant-load" in text, "tenant profile without --allow-tenant-load: exit 2 (%d: %s)" % (rc, text[-200:]))

# 9. A running fake (ready file) with --server-pid; then SIGINT.
with FakeExchange(MH) as fx:
    secret = fx.ready["demo"]["app"]["client_secret"]
    rc, text, rep, out = bench("ready", "--profile", fx.ready_path, "--concurrency", "2", "--duration", "1",
                               "--warmup", "0.3", "--server-pid", str(fx.proc.pid))
    check(rc == 0, "ready-file target: exit 0 (%d: %s)" % (rc, text[-300:]))
    if rep:
        check(rep["target"]["kind"] == "ready-file", "the report names the ready-file target")
        check(rep["bench"]["counters"].get("server_cpu_ns", 0) > 0, "--server-pid: server CPU measured")
        hits = [f for f in os.listdir(out) if secret in open(os.path.join(out, f), errors="replace").read()]
        check(not hits and secret not in text, "the client secret appears in no output (%s)" % hits)

    out9 = os.path.join(tmp, "interrupted")
    p = subprocess.Popen([MH, "bench", "--profile", fx.ready_path, "--concurrency", "2", "--duration", "600",
                          "--warmup", "0", "--out", out9], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stderr.readline()  # the first line is printed once SIGINT is handled
    p.send_signal(signal.SIGINT)
    so, se = p.communicate(timeout=120)
    check(p.returncode == 1, "SIGINT: exit 1 (%d: %s)" % (p.returncode, se[-200:]))
    if os.path.exists(os.path.join(out9, "report.json")):
        r9 = json.load(open(os.path.join(out9, "report.json")))
        check(r9["interrupted"] is True and r9["bench"]["window_s"] < 600, "SIGINT: the report is marked interrupted")
    else:
        check(False, "SIGINT: a report is written")

clitest.finish()
