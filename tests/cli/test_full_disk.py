#!/usr/bin/env python3
"""Reports on a full disk (issue 8): when the report set cannot be written, run, bench, report
render and report merge print the result on stdout, say which folder and why on stderr, exit 3
(infrastructure failure), and leave the previous report set byte for byte as it was, with no
temporary files behind: never a truncated or mixed set presented as complete. The full disk is
simulated with RLIMIT_FSIZE (writes fail with EFBIG, SIGXFSZ ignored), which needs no root and
no mount; a folder that cannot be created is a file in the way.
Usage: test_full_disk.py path/to/mailharness"""
import os
import resource
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clitest import check, finish  # noqa: E402

MH = sys.argv[1]
tmp = tempfile.mkdtemp(prefix="mh-full-disk-")
state = os.path.join(tmp, "state")
SET = ["junit.xml", "report.html", "report.json", "report.md"]


def full_disk(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def mh(args, limit=None):
    return subprocess.run([MH, *args], capture_output=True, text=True, timeout=300,
                          preexec_fn=full_disk(limit) if limit else None)


def snapshot(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def expect_untouched(name, p, d, before, verdict):
    check(p.returncode == 3, "%s: exit 3 on a full disk (%d)" % (name, p.returncode))
    check("the report set was not written to " + d in p.stderr and "File too large" in p.stderr
          and "no report file" in p.stderr, "%s: the error names the folder and the reason (%s)"
          % (name, p.stderr.strip()[-200:]))
    check(".tmp." not in p.stderr, "%s: the temporary's name is not shown" % name)
    check(verdict in p.stdout, "%s: the result is still printed (%s)" % (name, p.stdout[:80]))
    after = snapshot(d)
    check(after == before, "%s: the previous set is unchanged and nothing else is there (%s)"
          % (name, sorted(after)))


# run: a good set first, then the same run on a full disk.
out = os.path.join(tmp, "run")
p = mh(["run", "--id", "protocols.smtp-send", "--out", out, "--state-dir", state])
check(p.returncode == 0 and sorted(os.listdir(out)) == SET, "run writes the set (%d)" % p.returncode)
before = snapshot(out)
# 16 KiB: report.json and junit.xml fit, report.html does not: the set would be mixed.
p = mh(["run", "--id", "protocols.smtp-send", "--out", out, "--state-dir", state], limit=16384)
expect_untouched("run", p, out, before, "mailharness run: PASS")

# report render and merge over that report.
rep = os.path.join(out, "report.json")
p = mh(["report", "render", rep, "--out", out], limit=16384)
expect_untouched("report render", p, out, before, "")
merged = os.path.join(tmp, "merged")
p = mh(["report", "merge", rep, rep, "--out", merged])
check(p.returncode == 0 and sorted(os.listdir(merged)) == SET, "report merge writes the set (%d)" % p.returncode)
mbefore = snapshot(merged)
p = mh(["report", "merge", rep, rep, "--out", merged], limit=16384)
expect_untouched("report merge", p, merged, mbefore, "PASS")

# bench: same contract.
bout = os.path.join(tmp, "bench")
args = ["bench", "--protocol", "imap", "--concurrency", "1", "--duration", "0.5", "--warmup", "0", "--quiet",
        "--out", bout, "--state-dir", state]
p = mh(args)
check(p.returncode == 0 and sorted(os.listdir(bout)) == SET, "bench writes the set (%d)" % p.returncode)
bbefore = snapshot(bout)
p = mh(args, limit=16384)
expect_untouched("bench", p, bout, bbefore, "logins/s")

# A folder that cannot be created: exit 3 with the reason, after the result.
blocker = os.path.join(tmp, "a-file")
open(blocker, "w").close()
p = mh(["run", "--id", "protocols.smtp-send", "--out", os.path.join(blocker, "sub"), "--state-dir", state])
check(p.returncode == 3 and "Not a directory" in p.stderr and "mailharness run: PASS" in p.stdout,
      "an impossible folder: exit 3 with the reason (%d: %s)" % (p.returncode, p.stderr.strip()[-160:]))
finish()
