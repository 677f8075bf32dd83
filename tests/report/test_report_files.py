#!/usr/bin/env python3
"""The report set as files, checked by independent parsers.

Usage: test_report_files.py CHECK path/to/mh_report_tool FIXTURE_DIR SCHEMA
  schema    fixtures (run, validate, bench shards) and merged reports validate against
            reports/report.schema.json, and broken copies do not (needs Python jsonschema:
            Debian python3-jsonschema)
  junit     junit.xml parses with xml.etree and its structure and counts are right
  html      report.html parses, has the stable ids, unique ids, only our scripts, no external
            resources, and hostile data comes out as text; a bench report has its section
  chromium  report.html in headless Chromium: the script ran without errors, the URL preset
            filter hid the right rows, no CSP violation or console error, also for a bench
            report; a screenshot is taken (kept at $MH_REPORT_SCREENSHOT if set). Needs Debian
            chromium.
Exits 0 when all checks pass, 1 on a failure, 77 (skipped, reason printed) when a tool is missing.
"""
import copy
import glob
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

CHECK, TOOL, FIXTURES, SCHEMA = sys.argv[1:5]
failures = []
SKIP = 77


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def tool(*args):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit("mh_report_tool %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))


def render(tmp, fixture):
    out = os.path.join(tmp, os.path.splitext(os.path.basename(fixture))[0])
    os.makedirs(out, exist_ok=True)
    tool("render", fixture, out)
    return out


def fixture(name):
    return os.path.join(FIXTURES, name)


def check_schema(tmp):
    try:
        import jsonschema
    except ImportError:
        skip("Python jsonschema is not installed (Debian package python3-jsonschema)")
    schema = load(SCHEMA)
    jsonschema.Draft202012Validator.check_schema(schema)
    cls = jsonschema.Draft202012Validator
    validator = cls(schema, format_checker=getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker())

    def errors(doc):
        return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(doc)]

    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        errs = errors(load(path))
        check(not errs, "fixture %s validates %s" % (os.path.basename(path), errs[:3]))
    merged = os.path.join(tmp, "merged_bench.json")
    tool("merge", merged, fixture("bench_shard1.json"), fixture("bench_shard2.json"))
    errs = errors(load(merged))
    check(not errs, "merged bench shards validate %s" % errs[:3])
    merged_run = os.path.join(tmp, "merged_run.json")
    tool("merge", merged_run, fixture("run_mixed.json"), fixture("run_mixed.json"))
    errs = errors(load(merged_run))
    check(not errs, "merged run reports validate %s" % errs[:3])

    good = load(fixture("run_mixed.json"))
    broken = {
        "wrong format": lambda r: r.update(format="mailharness.report/2"),
        "unknown command": lambda r: r.update(command="login"),
        "unknown outcome": lambda r: r["records"][0].update(outcome="passed"),
        "misspelt record field": lambda r: r["records"][0].update(outcomes="pass"),
        "skip without reason": lambda r: r["records"][3].pop("skip_reason"),
        "negative count": lambda r: r["summary"].update(passed=-1),
        "bad timestamp": lambda r: r.update(started_at="yesterday"),
        "histogram zero count": lambda r: r["records"][0]["phases"]["auth"]["histogram"]["runs"][0].__setitem__(1, 0),
        "bad error class": lambda r: r["records"][2]["errors"][0].update({"class": "denied"}),
        "bad verdict result": lambda r: r["records"][5]["verdicts"][0].update(result="ok"),
        "phase name with a space": lambda r: r["records"][0]["phases"].update({"a b": r["records"][0]["phases"]["auth"]}),
    }
    for what, mutate in broken.items():
        doc = copy.deepcopy(good)
        mutate(doc)
        check(errors(doc), "schema rejects: " + what)

    bench = load(fixture("bench_shard1.json"))
    check(bench["command"] == "bench" and set(bench["bench"]) ==
          {"config", "window_s", "counters", "phases", "timeline", "results"}, "the bench fixture has every bench field")
    open_model = copy.deepcopy(bench)
    open_model["bench"]["config"].update(model="open", rate=250.5, concurrency=None, max_inflight=64, ramp_s=2)
    open_model["bench"]["counters"].update(late_starts=3)
    open_model["bench"]["counters"].pop("server_cpu_ns")
    open_model["bench"]["results"].update(server_cpu_per_login_us=None)
    open_model["bench"]["phases"]["queue"] = open_model["bench"]["phases"]["token"]
    open_model["bench"]["config"]["server_pid"] = 4242  # config may carry further settings
    errs = errors(open_model)
    check(not errs, "an open-model bench report validates %s" % errs[:3])
    broken_bench = {
        "bench without timeline": lambda b: b.pop("timeline"),
        "bench without results": lambda b: b.pop("results"),
        "unknown bench field": lambda b: b.update(extra=1),
        "negative window": lambda b: b.update(window_s=-1),
        "timeline t negative": lambda b: b["timeline"][0].update(t=-1),
        "timeline t not an integer": lambda b: b["timeline"][0].update(t=1.5),
        "timeline entry without histogram": lambda b: b["timeline"][0].pop("histogram"),
        "timeline entry without ok": lambda b: b["timeline"][0].pop("ok"),
        "timeline entry with an unknown field": lambda b: b["timeline"][0].update(p99=1),
        "timeline histogram broken": lambda b: b["timeline"][0]["histogram"].update(unit="ms"),
        "results without error_rate": lambda b: b["results"].pop("error_rate"),
        "results with an unknown figure": lambda b: b["results"].update(p99=1),
        "results logins_per_s null": lambda b: b["results"].update(logins_per_s=None),
        "unknown model": lambda b: b["config"].update(model="burst"),
        "unknown protocol": lambda b: b["config"].update(protocol="jmap"),
        "config without token": lambda b: b["config"].pop("token"),
        "negative counter": lambda b: b["counters"].update(ok=-1),
        "fractional counter": lambda b: b["counters"].update(client_cpu_ns=1.5),
        "counters without attempts": lambda b: b["counters"].pop("attempts"),
    }
    for what, mutate in broken_bench.items():
        doc = copy.deepcopy(bench)
        mutate(doc["bench"])
        check(errors(doc), "schema rejects: " + what)


def check_junit(tmp):
    run = load(fixture("run_mixed.json"))
    for name in ["run_mixed.json", "bench_shard1.json", "validate_empty.json"]:
        out = render(tmp, fixture(name))
        path = os.path.join(out, "junit.xml")
        raw = open(path, "rb").read()
        check(not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", raw), "%s: junit.xml has no control characters" % name)
        root = ET.parse(path).getroot()
        check(root.tag == "testsuites", "%s: root is <testsuites>" % name)
        totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        pairs = set()
        for suite in root:
            check(suite.tag == "testsuite", "%s: child %s is a testsuite" % (name, suite.tag))
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            for case in suite:
                check(case.tag == "testcase", "%s: suite child is a testcase" % name)
                counts["tests"] += 1
                float(case.get("time"))
                kinds = [c.tag for c in case]
                check(len(kinds) <= 1 and set(kinds) <= {"failure", "error", "skipped"},
                      "%s: %s has at most one result element" % (name, case.get("name")))
                for c in case:
                    counts["failures" if c.tag == "failure" else "errors" if c.tag == "error" else "skipped"] += 1
                    check(c.get("message") is not None, "%s: <%s> has a message" % (name, c.tag))
                pair = (case.get("classname"), case.get("name"))
                check(pair not in pairs, "%s: testcase %s is unique" % (name, pair))
                pairs.add(pair)
            for k, v in counts.items():
                check(int(suite.get(k)) == v, "%s: suite %s %s=%s" % (name, suite.get("name"), k, v))
                totals[k] += v
        for k, v in totals.items():
            check(int(root.get(k)) == v, "%s: testsuites %s=%d" % (name, k, v))

    root = ET.parse(os.path.join(tmp, "run_mixed", "junit.xml")).getroot()
    files = {r.get("file") or r["scenario"] for r in run["records"]}
    check({s.get("name") for s in root} == files, "one testsuite per scenario file")
    scenarios = {r["scenario"] for r in run["records"]}
    check({c.get("classname") for c in root.iter("testcase")} <= scenarios, "classname is the scenario id")
    fail = root.find(".//testcase[@classname='demo-sp-missing']/failure")
    msg = fail.get("message")
    check("A001 NO AUTHENTICATE failed." in msg and "Exchange service principal not registered" in msg,
          "failure message carries the reply and the finding")
    check("New-ServicePrincipal -AppId" in fail.text, "failure text carries the remediation")
    hostile = root.find(".//testcase[@classname='escaping-<check>']")
    check(hostile is not None and hostile.get("name") == 'reply <exact> & "quoted"', "hostile names round-trip as text")
    check("</failure>" in hostile.find("failure").get("message"), "markup in a message stays text")
    skipped = root.find(".//skipped")
    check(skipped.get("message") == "needs the fake's fault controls; the target is a tenant profile", "skip reason")


class Dom(html.parser.HTMLParser):
    """Elements with their attributes and the text inside each, enough for structural checks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, attrs dict)
        self.stack = []
        self.scripts = []
        self.text_by_tag = {}
        self.all_text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.elements.append((tag, a))
        if tag not in ("meta", "br", "input", "rect", "line", "img", "link"):
            self.stack.append(tag)
        if tag == "script":
            self.scripts.append("")

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1] += data
        else:
            self.all_text.append(data)
            if self.stack:
                self.text_by_tag.setdefault(self.stack[-1], []).append(data)


def check_self_contained(dom, text, name):
    ids = [a["id"] for _, a in dom.elements if "id" in a]
    check(len(ids) == len(set(ids)), "%s: element ids are unique" % name)
    check(len(dom.scripts) == 2 and all("alert" not in s for s in dom.scripts), "%s: only our two scripts" % name)
    for tag, a in dom.elements:
        for attr in ("src", "srcset", "action", "poster"):
            check(attr not in a, "%s: <%s> has no %s" % (name, tag, attr))
        if "href" in a:
            check(a["href"].startswith("#"), "%s: link %s stays in the page" % (name, a["href"]))
        for k in a:
            check(not k.startswith("on"), "%s: <%s> has no inline handler %s" % (name, tag, k))
    check(not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), "%s: no control characters" % name)
    return ids


def check_bench_html(tmp):
    out = render(tmp, fixture("bench_shard1.json"))
    text = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    dom = Dom()
    dom.feed(text)
    ids = check_self_contained(dom, text, "bench")
    for hook in ["bench", "bench-results", "bench-timeline", "bench-phases", "bench-config", "bench-counters",
                 "results-table", "summary"]:
        check(hook in ids, "bench: #%s present" % hook)
    check("latency" not in ids, "bench: the bench phases replace #latency")
    svgs = [a.get("class") for t, a in dom.elements if t == "svg"]
    check(svgs.count("timeline-chart") == 1 and "latency-chart" in svgs and "histogram-chart" in svgs,
          "bench: svg.timeline-chart, svg.latency-chart and svg.histogram-chart (%s)" % svgs)
    seconds = [a for t, a in dom.elements if t == "g" and a.get("class") == "second"]
    check([int(a["data-t"]) for a in seconds] == list(range(10)), "bench: one bar group per second of the timeline")
    check(sum(1 for t, a in dom.elements if t == "polyline") == 3, "bench: lines for p50, p99 and max")
    joined = "".join(dom.all_text)
    check("logins/s" in joined and "0.400 %" in joined, "bench: the results are shown")


def check_html(tmp):
    check_bench_html(tmp)
    out = render(tmp, fixture("run_mixed.json"))
    text = open(os.path.join(out, "report.html"), encoding="utf-8").read()
    dom = Dom()
    dom.feed(text)
    ids = check_self_contained(dom, text, "run")
    for hook in ["summary", "results", "results-table", "filters", "filter-outcome", "filter-protocol", "filter-tag",
                 "filter-text", "latency", "latency-phases", "failures", "verdicts", "js-errors", "verdict"]:
        check(hook in ids, "#%s present" % hook)
    classes = lambda tag: [a.get("class", "") for t, a in dom.elements if t == tag]
    rows = [c for c in classes("tr") if c.startswith("record ")]
    check(sorted(rows) == sorted("record " + r["outcome"] for r in load(fixture("run_mixed.json"))["records"]),
          "one tr.record.<outcome> per record")
    check("latency-chart" in classes("svg") and "histogram-chart" in classes("svg"), "svg.latency-chart and svg.histogram-chart")
    joined = "".join(dom.all_text)
    for s in ["<script>alert(1)</script>", "</pre><script>alert(2)</script>", "<img src=x onerror=alert(3)>",
              "A001 <b>BAD</b> & "]:
        check(s in joined, "hostile data shown as text: %s" % s)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def check_chromium(tmp):
    browser = find_chromium()
    if not browser:
        skip("chromium is not installed (Debian package chromium)")
    out = render(tmp, fixture("run_mixed.json"))
    page = "file://" + os.path.join(out, "report.html")
    base = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--user-data-dir=" + os.path.join(tmp, "profile"), "--enable-logging=stderr", "--v=0"]
    p = subprocess.run(base + ["--virtual-time-budget=3000", "--dump-dom", page + "#outcome=fail"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "chromium --dump-dom exit 0 (%d)" % p.returncode)
    dom = Dom()
    dom.feed(p.stdout)
    body = [a for t, a in dom.elements if t == "body"]
    check(body and body[0].get("data-ready") == "1", "the filter script ran (body[data-ready=1])")
    errs = [a for t, a in dom.elements if a.get("id") == "js-errors"]
    check(errs and "hidden" in errs[0], "#js-errors stayed hidden (no window.onerror)")
    check(not "".join(dom.text_by_tag.get("pre", [])).count("(line "), "no script error text in the DOM")
    rows = [a for t, a in dom.elements if t == "tr" and a.get("class", "").startswith("record ")]
    shown = [r["data-outcome"] for r in rows if "hidden" not in r]
    check(rows and shown and set(shown) == {"fail"}, "#outcome=fail shows only failed rows (%s)" % shown)
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l or "Uncaught" in l]
    check(not console, "no console errors or CSP violations: %s" % console[:3])
    check(bool(re.search(r"<svg[^>]*class=\"latency-chart\"", p.stdout)), "the SVG chart is in the live DOM")

    bench_page = "file://" + os.path.join(render(tmp, fixture("bench_shard1.json")), "report.html")
    p = subprocess.run(base + ["--virtual-time-budget=3000", "--dump-dom", bench_page], capture_output=True, text=True,
                       timeout=120)
    dom = Dom()
    dom.feed(p.stdout)
    body = [a for t, a in dom.elements if t == "body"]
    check(p.returncode == 0 and body and body[0].get("data-ready") == "1", "bench page: the script ran")
    console = [l for l in p.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l or "Uncaught" in l]
    check(not console, "bench page: no console errors or CSP violations: %s" % console[:3])
    check(bool(re.search(r"<svg[^>]*class=\"timeline-chart\"", p.stdout)), "bench page: the timeline chart is in the live DOM")

    shot = os.environ.get("MH_REPORT_SCREENSHOT") or os.path.join(tmp, "report.png")
    p = subprocess.run(base + ["--window-size=1280,2000", "--hide-scrollbars", "--screenshot=" + shot, page],
                       capture_output=True, text=True, timeout=120)
    ok = p.returncode == 0 and os.path.exists(shot)
    check(ok and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and os.path.getsize(shot) > 10000,
          "screenshot written (%s)" % shot)


def main():
    tmp = tempfile.mkdtemp(prefix="mh-report-")
    try:
        {"schema": check_schema, "junit": check_junit, "html": check_html, "chromium": check_chromium}[CHECK](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


main()
