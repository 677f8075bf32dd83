#!/usr/bin/env python3
"""`mailharness run` and `mailharness report` as CI users run them: the report set is written
and well-formed (report.json against its schema, JUnit XML, HTML); failing scenarios exit 1 and
their JUnit failure carries the server's reply; scenario mistakes exit 2 naming file, line,
column and key; --list and filters; shards merge back to the whole; a running fake's ready file
as the target (scenarios that need the embedded fake are skipped with the reason); SIGINT
writes a partial report marked interrupted. No secret reaches any output.
Usage: test_run_cli.py path/to/mailharness path/to/report.schema.json"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop"))
from fake_process import FakeExchange  # noqa: E402
from clitest import check  # noqa: E402
import clitest  # noqa: E402

MH, SCHEMA = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="mh-run-cli-")
state = os.path.join(tmp, "state")




def run(args, timeout=300):
    p = subprocess.run([MH, *args], capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def validate(doc, what):
    clitest.validate(doc, what, SCHEMA)


def secrets_in(dirpath, secrets):
    hits = []
    for root, _, files in os.walk(dirpath):
        for f in files:
            text = open(os.path.join(root, f), errors="replace").read()
            hits += [(f, s[:6]) for s in secrets if s and s in text]
    return hits


# 1. The smoke tag on the embedded fake: exit 0 and the whole report set.
out = os.path.join(tmp, "smoke")
rc, so, se = run(["run", "--tag", "smoke", "--out", out, "--state-dir", state])
check(rc == 0, "run --tag smoke: exit 0 (%d: %s)" % (rc, (so + se)[-300:]))
files = sorted(os.listdir(out)) if os.path.isdir(out) else []
check(files == ["junit.xml", "report.html", "report.json", "report.md"], "the report set is written: %s" % files)
report = json.load(open(os.path.join(out, "report.json")))
validate(report, "smoke report.json")
check(report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 8, "smoke: every record passed")
check(all("smoke" in r["tags"] for r in report["records"]), "--tag keeps only tagged scenarios")
rec = report["records"][0]
check("auth" in rec["phases"] and "histogram" in rec["phases"]["auth"], "records carry per-phase histograms")
junit = ET.parse(os.path.join(out, "junit.xml")).getroot()
check(junit.tag in ("testsuites", "testsuite"), "junit.xml is JUnit XML")
html = open(os.path.join(out, "report.html")).read()
check('id="summary"' in html and "<svg" in html, "report.html has the summary and inline SVG charts")

# 2. A scenario that fails: exit 1, JUnit failure with the exact reply.
bad_expect = os.path.join(tmp, "expect-pass.json")
with open(bad_expect, "w") as f:
    f.write('{"id": "x.wrong-expectation", "title": "expects a pass from an app without permissions",\n'
            ' "token": {"app": "no-permission"}, "login": {"protocol": "imap"}, "expect": {"outcome": "pass"}}\n')
out2 = os.path.join(tmp, "failing")
rc, so, se = run(["run", bad_expect, "--out", out2, "--state-dir", state])
check(rc == 1, "a failing scenario: exit 1 (%d)" % rc)
check("NO AUTHENTICATE failed." in so, "the console summary shows the server's reply")
fails = ET.parse(os.path.join(out2, "junit.xml")).getroot().iter("failure")
check(any("NO AUTHENTICATE failed." in (f.get("message", "") + (f.text or "")) for f in fails),
      "the JUnit failure carries the reply")
rep2 = json.load(open(os.path.join(out2, "report.json")))
check(any(l.startswith("C: ") for l in rep2["records"][0].get("transcript", [])), "the failure keeps its transcript")
check(not any("eyJ" in l for l in rep2["records"][0].get("transcript", [])), "the transcript holds no token")

# 3. Scenario mistakes: exit 2 naming file:line:column and the key, with a suggestion.
cases = [
    ('{"id": "a", "title": "t",\n "login": {"protocl": "imap"}}', ["typo.json:2:", "protocl", "protocol"]),
    ('{"id": "a", "title": "t", "login": {"protocol": "imap4"}}', ["/login/protocol", "imap4"]),
    ('{"id": "a", "title": "t", "expect": {"verdicts": {"single_flite": "pass"}}}', ["single_flight"]),
    ('{"id": "a", "title": "t", "expect": {"thresholds": {"auth.p42": 5}}}', ["auth.p42"]),
    ('{"id": "a"', ["typo.json:1:"]),
]
for i, (text, needles) in enumerate(cases):
    path = os.path.join(tmp, "typo.json")
    with open(path, "w") as f:
        f.write(text)
    rc, so, se = run(["run", path, "--out", os.path.join(tmp, "x"), "--state-dir", state])
    check(rc == 2 and all(n in se for n in needles), "bad scenario %d: exit 2 naming %s (%s)" % (i, needles, se.strip()))

# 4. --list and --id globs.
rc, so, se = run(["run", "--list", "--id", "tenant.app-*"])
ids = [l.split()[0] for l in so.splitlines()]
check(rc == 0 and ids and all(i.startswith("tenant.app-") for i in ids), "--list --id glob (%s)" % ids)

# 5. Shards: two halves merge into the whole, histograms included.
shard_dirs = []
for i in (1, 2):
    d = os.path.join(tmp, "shard%d" % i)
    rc, so, se = run(["run", "--tag", "protocols", "--shard", "%d/2" % i, "--out", d, "--state-dir", state])
    check(rc in (0, 1), "shard %d/2 ran (%d)" % (i, rc))
    shard_dirs.append(d)
whole = os.path.join(tmp, "whole")
run(["run", "--tag", "protocols", "--out", whole, "--state-dir", state])
merged = os.path.join(tmp, "merged")
rc, so, se = run(["report", "merge", *[os.path.join(d, "report.json") for d in shard_dirs], "--out", merged])
m = json.load(open(os.path.join(merged, "report.json")))
w = json.load(open(os.path.join(whole, "report.json")))
check(sorted(r["id"] for r in m["records"]) == sorted(r["id"] for r in w["records"]),
      "merged shards hold exactly the records of the whole run")
validate(m, "merged report.json")
rc, so, se = run(["report", "render", os.path.join(merged, "report.json"), "--format", "console"])
check("records in" in so, "report render --format console")

# 6. A running fake's ready file as the target.
with FakeExchange(MH) as fx:
    out3 = os.path.join(tmp, "ready")
    rc, so, se = run(["run", "--target", fx.ready_path, "--tag", "smoke", "--tag", "broken-step", "--out", out3,
                      "--state-dir", state])
    rep3 = json.load(open(os.path.join(out3, "report.json")))
    outcomes = {r["outcome"] for r in rep3["records"]}
    skipped = [r for r in rep3["records"] if r["outcome"] == "skip"]
    check(rc == 0 and "pass" in outcomes and skipped, "ready-file target: passes, and skips what needs the embedded fake")
    check(all("embedded fake" in r.get("skip_reason", "") for r in skipped), "skips say why")
    check(rep3["target"]["kind"] == "ready-file", "the report names the target kind")
    check(not secrets_in(out3, [fx.ready["demo"]["app"]["client_secret"]]), "the demo secret is in no report file")

    # 6b. A tenant profile pointing at the fake, as a real tenant would be reached: only what
    # needs no fake runs, with the profile's credential.
    prof = os.path.join(tmp, "tenant.json")
    imap = fx.ready["endpoints"]["imap"]
    with open(prof, "w") as f:
        json.dump({"format": "mailharness.profile/1", "authority": fx.ready["authority"],
                   "client_id": fx.ready["demo"]["app"]["client_id"], "flow": "client-credentials",
                   "credential": {"secret_env": "TENANT_SECRET"}, "ca_file": fx.ready["ca_file"],
                   "imap": imap, "pop3": fx.ready["endpoints"]["pop3"], "smtp": fx.ready["endpoints"]["smtp"]}, f)
    out5 = os.path.join(tmp, "profile")
    env = dict(os.environ, TENANT_SECRET=fx.ready["demo"]["app"]["client_secret"])
    p = subprocess.run([MH, "run", "--target", prof, "--tag", "smoke", "--tag", "faults", "--out", out5,
                        "--var", "mailbox=" + fx.ready["demo"]["mailboxes"][0], "--state-dir", state],
                       capture_output=True, text=True, env=env, timeout=300)
    rep5 = json.load(open(os.path.join(out5, "report.json")))
    ran = [r for r in rep5["records"] if r["outcome"] != "skip"]
    skipped = [r for r in rep5["records"] if r["outcome"] == "skip"]
    check(p.returncode == 0 and ran and all(r["outcome"] == "pass" for r in ran),
          "profile target: the smoke scenarios pass (%d: %s)" % (p.returncode, p.stdout[-300:]))
    check(skipped and all("real tenant" in r["skip_reason"] for r in skipped if "faults" in r["tags"]),
          "profile target: fault scenarios are skipped against a real tenant")
    check(rep5["target"]["kind"] == "profile", "the report names the profile target")
    check(not secrets_in(out5, [fx.ready["demo"]["app"]["client_secret"]]), "no secret in the profile run's files")

# 7. SIGINT: a partial report marked interrupted.
out4 = os.path.join(tmp, "interrupted")
p = subprocess.Popen([MH, "run", "--id", "refresh.across-expiries", "--out", out4, "--state-dir", state],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
# The scenario runs for 10 s per record; interrupt once the first record is under way.
for line in p.stderr:
    if "[0/" in line or "[1/" in line or line:
        break
p.send_signal(signal.SIGINT)
so, se = p.communicate(timeout=120)
check(p.returncode == 1, "SIGINT: exit 1 (%d)" % p.returncode)
rep4 = json.load(open(os.path.join(out4, "report.json")))
check(rep4["interrupted"] is True, "SIGINT: the report is marked interrupted")

clitest.finish()
