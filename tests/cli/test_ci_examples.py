#!/usr/bin/env python3
"""The CI examples in docs/ci/ run as written: the `run:` blocks of the GitHub Actions workflow
and the `script:` lines of the GitLab job are executed locally, in order, in one shell (as the
runners do), with mailharness on PATH; they must exit 0 and leave the report set and the job
summary behind.
Usage: test_ci_examples.py path/to/mailharness path/to/docs/ci"""
import os
import subprocess
import sys
import tempfile

MH, CI = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def github_commands(path):
    """The lines of every `run: |` block, dedented, skipping steps that only `uses:` an action."""
    lines = open(path).read().splitlines()
    out, i = [], 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped in ("run: |", "- run: |"):
            indent = None
            i += 1
            while i < len(lines) and (not lines[i].strip() or indent is None or
                                      len(lines[i]) - len(lines[i].lstrip()) >= indent):
                if lines[i].strip():
                    if indent is None:
                        indent = len(lines[i]) - len(lines[i].lstrip())
                    out.append(lines[i][indent:])
                i += 1
            continue
        i += 1
    return out


def gitlab_commands(path):
    lines = open(path).read().splitlines()
    out, in_script = [], False
    for line in lines:
        if line.strip() == "script:":
            in_script = True
            continue
        if in_script:
            if line.strip().startswith("- "):
                out.append(line.strip()[2:])
            elif line.strip():
                in_script = False
    return out


def run_shell(commands, env, cwd):
    script = "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + "\n".join(commands) + "\n"
    p = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


path_env = os.path.dirname(os.path.abspath(MH)) + os.pathsep + os.environ.get("PATH", "")

gh = tempfile.mkdtemp(prefix="mh-gha-")
cmds = github_commands(os.path.join(CI, "github-actions.yml"))
check(len(cmds) >= 5 and any(c.startswith("mailharness run") for c in cmds), "GitHub workflow: run blocks found")
env = dict(os.environ, PATH=path_env, RUNNER_TEMP=gh, GITHUB_STEP_SUMMARY=os.path.join(gh, "summary.md"),
           HOME=gh)
rc, so, se = run_shell(cmds, env, gh)
check(rc == 0, "GitHub workflow commands exit 0 (%d: %s)" % (rc, (so + se)[-500:]))
check(os.path.exists(os.path.join(gh, "reports", "junit.xml")), "GitHub workflow: junit.xml for the test reporter")
summary = open(os.path.join(gh, "summary.md")).read() if os.path.exists(os.path.join(gh, "summary.md")) else ""
check("mailharness" in summary and "|" in summary, "GitHub workflow: the job summary has the Markdown report")

gl = tempfile.mkdtemp(prefix="mh-gitlab-")
cmds = gitlab_commands(os.path.join(CI, "gitlab-ci.yml"))
check(len(cmds) >= 5, "GitLab job: script lines found")
env = dict(os.environ, PATH=path_env, CI_PROJECT_DIR=gl, HOME=gl)
rc, so, se = run_shell(cmds, env, gl)
check(rc == 0, "GitLab job commands exit 0 (%d: %s)" % (rc, (so + se)[-500:]))
check(os.path.exists(os.path.join(gl, "reports", "junit.xml")), "GitLab job: reports/junit.xml for the test report")

sys.exit(1 if failures else 0)
