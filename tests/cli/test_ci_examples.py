#!/usr/bin/env python3
"""The CI examples in docs/ci/ run as written: the `run:` blocks of the GitHub Actions workflow
and the `script:` lines of the GitLab job are executed locally, in order, in one shell (as the
runners do), with mailharness on PATH; they must exit 0 and leave the report set and the job
summary behind.
The sharded benchmark examples too (with a window of a few seconds): the GitHub Actions matrix
(docs/ci/github-actions-bench.yml: each shard job in its own workspace, artifacts copied as
upload/download-artifact would, then the merge job) and the Kubernetes Indexed Job
(docs/bench/k8s-indexed-job.yaml: the shard scripts at the same time with JOB_COMPLETION_INDEX
and the containers' environment, the target pointed at a local fake, then the merge script).
Usage: test_ci_examples.py path/to/mailharness path/to/docs/ci"""
import fnmatch
import json
import os
import re
import shutil
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


def indent_of(line):
    return len(line) - len(line.lstrip())


def block_after(lines, i):
    """The lines indented deeper than lines[i] that follow it (blank lines kept), dedented."""
    out, base, first = [], indent_of(lines[i]), None
    i += 1
    while i < len(lines) and (not lines[i].strip() or indent_of(lines[i]) > base):
        if lines[i].strip() and first is None:
            first = indent_of(lines[i])
        out.append(lines[i][first:] if first is not None else "")
        i += 1
    return out, i


def workflow_env(lines):
    """The workflow-level `env:` block as a dict."""
    for i, line in enumerate(lines):
        if line == "env:":
            block, _ = block_after(lines, i)
            return dict((k.strip(), v.strip().strip('"')) for k, v in (b.split(":", 1) for b in block if b.strip()))
    return {}


def workflow_jobs(lines):
    """{job: [step]} where a step is {"run": [lines]} or {"uses": action, "with": {key: value}}."""
    jobs, i = {}, lines.index("jobs:") + 1
    while i < len(lines):
        m = re.match(r"^  ([\w-]+):$", lines[i])
        if not m:
            i += 1
            continue
        body, i = block_after(lines, i)
        steps, j = [], next(k for k, b in enumerate(body) if b.strip() == "steps:") + 1
        while j < len(body):
            if not body[j].lstrip().startswith("- "):
                j += 1
                continue
            step_lines = [body[j].replace("- ", "  ", 1)]
            rest, j = block_after(body, j)
            step_lines += ["    " + r for r in rest]
            step = {}
            for k, sl in enumerate(step_lines):
                key = sl.strip()
                if key == "run: |":
                    step["run"], _ = block_after(step_lines, k)
                elif key.startswith("uses: "):
                    step["uses"] = key[len("uses: "):]
                elif key == "with:":
                    w, _ = block_after(step_lines, k)
                    step["with"] = dict((a.strip(), b.strip()) for a, b in (x.split(":", 1) for x in w if x.strip()))
            steps.append(step)
        jobs[m.group(1)] = steps
    return jobs


def fill_expressions(text, values):
    for name, value in values.items():
        text = text.replace("${{ %s }}" % name, str(value))
    return text


def run_workflow_job(steps, values, env, cwd, artifacts):
    """Runs a job's steps: consecutive `run:` blocks in one shell, upload/download-artifact through
    the `artifacts` folder (one folder per artifact name, as download-artifact@v4 lays them out)."""
    pending, rcs = [], []

    def flush():
        if pending:
            rcs.append(run_shell([fill_expressions(c, values) for c in pending], env, cwd))
            del pending[:]

    for step in steps:
        if "run" in step:
            pending.extend(step["run"])
            continue
        flush()
        uses, w = step.get("uses", ""), {k: fill_expressions(v, values) for k, v in step.get("with", {}).items()}
        if uses.startswith("actions/upload-artifact@"):
            src = os.path.join(cwd, w["path"])
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(artifacts, w["name"]))
        elif uses.startswith("actions/download-artifact@"):
            for name in sorted(os.listdir(artifacts)):
                if fnmatch.fnmatch(name, w.get("pattern", "*")):
                    shutil.copytree(os.path.join(artifacts, name), os.path.join(cwd, w["path"], name))
    flush()
    return rcs


def k8s_jobs(path):
    """{job name: {"spec": {key: value}, "env": {name: value}, "script": [lines]}} of a manifest."""
    jobs = {}
    for doc in open(path).read().split("\n---\n"):
        lines = doc.splitlines()
        if "kind: Job" not in lines:
            continue
        name = next(l.split(":", 1)[1].strip() for l in lines if l.startswith("  name:"))
        spec = dict(m.groups() for m in (re.match(r"^  (\w+): (\S+)", l) for l in lines) if m)
        env = dict(re.findall(r'\{name: (\w+), value: "([^"]*)"\}', doc))
        args = next(i for i, l in enumerate(lines) if l.strip() == "args:")
        script, _ = block_after(lines, args + 1)
        jobs[name] = {"spec": spec, "env": env, "script": script}
    return jobs


def wait_for_ready(ready_file, proc):
    """The ready file of `mailharness fake` (written once every listener accepts); None if it exits."""
    while not (os.path.exists(ready_file) and os.path.getsize(ready_file)):
        try:
            proc.wait(timeout=0.05)
            return None
        except subprocess.TimeoutExpired:
            pass
    return json.load(open(ready_file))


def merged_report_checks(what, merged_dir, shard_dirs, workers):
    merged = json.load(open(os.path.join(merged_dir, "report.json")))
    shards = [json.load(open(os.path.join(d, "report.json"))) for d in shard_dirs]
    check(merged.get("command") == "bench" and merged.get("merged", {}).get("shards") == [1, 2],
          "%s: the merged report holds bench shards 1 and 2 (%s)" % (what, merged.get("merged")))
    check([r.get("shard", {}).get("index") for r in shards] == [1, 2] and
          all(r["bench"]["config"]["concurrency"] == workers // 2 for r in shards),
          "%s: each shard ran half of the %d workers" % (what, workers))
    check(merged["bench"]["config"]["concurrency"] == workers, "%s: merged concurrency is %d" % (what, workers))
    ok = [r["bench"]["counters"]["ok"] for r in shards]
    check(all(n > 0 for n in ok) and merged["bench"]["counters"]["ok"] == sum(ok),
          "%s: merged logins are the shards' sum (%s)" % (what, ok))


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

# The sharded benchmark as a GitHub Actions matrix: each shard job on its own "runner", then the
# merge job. The window is the workflow's env, shortened.
SHORT_WINDOW = {"BENCH_WARMUP": "0.5", "BENCH_DURATION": "2"}
path = os.path.join(CI, "github-actions-bench.yml")
lines = open(path).read().splitlines()
wf_env, jobs = workflow_env(lines), workflow_jobs(lines)
check(set(SHORT_WINDOW) <= set(wf_env), "bench workflow: env sets %s" % sorted(SHORT_WINDOW))
check(set(jobs) == {"bench", "merge"}, "bench workflow: jobs bench and merge (%s)" % sorted(jobs))
matrix = re.search(r"shard: \[([\d, ]+)\]", open(path).read())
shard_values = [int(x) for x in matrix.group(1).split(",")] if matrix else []
check(shard_values == [1, 2], "bench workflow: matrix over shards 1 and 2 (%s)" % shard_values)
bench_root = tempfile.mkdtemp(prefix="mh-gha-bench-")
artifacts = os.path.join(bench_root, "artifacts")
os.mkdir(artifacts)
for shard in shard_values:
    ws = os.path.join(bench_root, "shard-%d" % shard)
    os.makedirs(os.path.join(ws, "tmp"))
    env = {**os.environ, **wf_env, **SHORT_WINDOW, "PATH": path_env, "RUNNER_TEMP": os.path.join(ws, "tmp"), "HOME": ws}
    values = {"matrix.shard": shard, "strategy.job-total": len(shard_values)}
    rcs = run_workflow_job(jobs.get("bench", []), values, env, ws, artifacts)
    check(rcs and all(rc == 0 for rc, _, _ in rcs),
          "bench workflow: shard %d exits 0 (%s)" % (shard, [(rc, (so + se)[-400:]) for rc, so, se in rcs if rc]))
    check(not any("${{" in c for st in jobs.get("bench", []) for c in
                  [fill_expressions(x, values) for x in st.get("run", [])]),
          "bench workflow: shard %d: every ${{ }} expression filled in" % shard)
ws = os.path.join(bench_root, "merge")
os.mkdir(ws)
summary_file = os.path.join(ws, "summary.md")
env = {**os.environ, **wf_env, **SHORT_WINDOW, "PATH": path_env, "RUNNER_TEMP": ws, "HOME": ws,
       "GITHUB_STEP_SUMMARY": summary_file}
rcs = run_workflow_job(jobs.get("merge", []), {}, env, ws, artifacts)
check(rcs and all(rc == 0 for rc, _, _ in rcs),
      "bench workflow: merge job exits 0 (%s)" % [(rc, (so + se)[-400:]) for rc, so, se in rcs if rc])
shard_dirs = [os.path.join(ws, "shards", "bench-shard-%d" % i) for i in (1, 2)]
if all(os.path.exists(os.path.join(d, "report.json")) for d in shard_dirs + [os.path.join(ws, "bench-report")]):
    merged_report_checks("bench workflow", os.path.join(ws, "bench-report"), shard_dirs, 16)
else:
    check(False, "bench workflow: shard artifacts and the merged report exist")
summary = open(summary_file).read() if os.path.exists(summary_file) else ""
check("logins/s" in summary and "| total |" in summary, "bench workflow: the job summary has the merged bench results")

# The Kubernetes Indexed Job: both shard pods at once, against a local fake, then the merge Job.
k8s = k8s_jobs(os.path.join(CI, os.pardir, "bench", "k8s-indexed-job.yaml"))
bench_job, merge_job = k8s.get("mailharness-bench"), k8s.get("mailharness-bench-merge")
check(bench_job is not None and merge_job is not None, "k8s: Jobs mailharness-bench and mailharness-bench-merge")
spec = bench_job["spec"] if bench_job else {}
check(spec.get("completionMode") == "Indexed" and
      spec.get("completions") == spec.get("parallelism") == bench_job["env"].get("SHARDS") == merge_job["env"].get("SHARDS"),
      "k8s: an Indexed Job with completions = parallelism = SHARDS in both Jobs (%s)" % spec)
k8s_root = tempfile.mkdtemp(prefix="mh-k8s-")
ready_file = os.path.join(k8s_root, "ready.json")
fake = subprocess.Popen([MH, "fake", "--state-dir", os.path.join(k8s_root, "fake"), "--ready-file", ready_file],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    ready = wait_for_ready(ready_file, fake)
    check(ready is not None, "k8s: a fake to benchmark")
    if ready is None:
        sys.exit(1)
    token_file = os.path.join(k8s_root, "token")
    with open(os.open(token_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        subprocess.run([MH, "token", "--profile", ready_file, "--no-cache", "--print-token"], stdout=f,
                       stderr=subprocess.DEVNULL, timeout=60, check=True)
    target = {"REPORTS": os.path.join(k8s_root, "reports"), "SHARDS": "2", "PROTOCOL": "imap",
              "MH_HOST": ready["endpoints"]["imap"]["host"], "MH_PORT": str(ready["endpoints"]["imap"]["port"]),
              "MH_TLS": ready["endpoints"]["imap"]["tls"], "MH_CA_FILE": ready["ca_file"],
              "MH_USER": ready["demo"]["mailboxes"][0], "MH_TOKEN_FILE": token_file,
              "CONCURRENCY": "4", "WARMUP": "0.5", "DURATION": "2"}
    check(set(target) <= set(bench_job["env"]), "k8s: the bench Job's env has the target and load variables (missing: %s)" %
          sorted(set(target) - set(bench_job["env"])))
    os.makedirs(target["REPORTS"])
    pods = []
    for index in (0, 1):
        env = {**os.environ, **bench_job["env"], **target, "PATH": path_env, "HOME": k8s_root,
               "JOB_COMPLETION_INDEX": str(index)}
        pods.append(subprocess.Popen(["sh", "-c", "\n".join(bench_job["script"])], env=env, cwd=k8s_root,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate(timeout=240)[0] for p in pods]
    pods_ok = all(p.returncode == 0 for p in pods)
    check(pods_ok, "k8s: both shard pods succeed (%s)" % [(p.returncode, o[-400:]) for p, o in zip(pods, outs) if p.returncode])
    if not pods_ok:  # the merge Job would wait for them until its deadline
        sys.exit(1)
    env = {**os.environ, **merge_job["env"], "REPORTS": target["REPORTS"], "SHARDS": "2", "PATH": path_env,
           "HOME": k8s_root}
    p = subprocess.run(["sh", "-c", "\n".join(merge_job["script"])], env=env, cwd=k8s_root,
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "k8s: the merge Job succeeds (%d: %s)" % (p.returncode, (p.stdout + p.stderr)[-400:]))
    check("logins/s" in p.stdout, "k8s: the merge Job prints the merged summary to its log")
    run_dir = os.path.join(target["REPORTS"], bench_job["env"].get("RUN", ""))
    shard_dirs = [os.path.join(run_dir, "shard-%d" % i) for i in (1, 2)]
    if all(os.path.exists(os.path.join(d, "report.json")) for d in shard_dirs + [os.path.join(run_dir, "merged")]):
        merged_report_checks("k8s", os.path.join(run_dir, "merged"), shard_dirs, 4)
        check([open(os.path.join(d, "exit-code")).read().strip() for d in shard_dirs] == ["0", "0"],
              "k8s: each shard recorded its exit code")
    else:
        check(False, "k8s: the shards' and the merged report sets are on the shared folder")
finally:
    fake.terminate()
    fake.wait(timeout=30)

sys.exit(1 if failures else 0)
