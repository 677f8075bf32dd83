// Renderers over the fixture report: structure, escaping of hostile data, bounds.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "report/render.hpp"
#include "report_fixture.hpp"

using namespace mh;
using nlohmann::json;

namespace {

std::string error_of(const json& doc) {
  try {
    check_report(doc);
  } catch (const report_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ReportCheck, AcceptsFixtures) {
  for (const char* f : {"run_mixed.json", "bench_shard1.json", "bench_shard2.json", "validate_empty.json"})
    EXPECT_EQ(error_of(load_fixture(f)), "") << f;
}

TEST(ReportCheck, RejectsWithThePointerOfTheProblem) {
  json r = load_fixture("run_mixed.json");
  EXPECT_EQ(error_of(json::array()), "a report must be a JSON object");
  json x = r;
  x["format"] = "mailharness.report/2";
  EXPECT_NE(error_of(x).find("/format: \"mailharness.report/2\" is not supported"), std::string::npos);
  x = r;
  x.erase("format");
  EXPECT_NE(error_of(x).find("/format"), std::string::npos);
  x = r;
  x["command"] = "login";
  EXPECT_NE(error_of(x).find("/command"), std::string::npos);
  x = r;
  x["records"] = json::object();
  EXPECT_EQ(error_of(x), "/records: must be an array");
  x = r;
  x["records"][2]["outcome"] = "passed";
  EXPECT_NE(error_of(x).find("/records/2/outcome"), std::string::npos);
  x = r;
  x["records"][1].erase("id");
  EXPECT_NE(error_of(x).find("/records/1/id"), std::string::npos);
  x = r;
  x["records"][0]["phases"]["auth"]["histogram"]["count"] = 1;
  EXPECT_NE(error_of(x).find("/records/0/phases/auth/histogram: histogram: count"), std::string::npos)
      << error_of(x);
  x = r;
  x["records"][0]["checks"] = "none";
  EXPECT_NE(error_of(x).find("/records/0/checks"), std::string::npos);
  // Every renderer refuses the same way instead of rendering garbage.
  EXPECT_THROW(render_html(x), report_error);
  EXPECT_THROW(render_junit(x), report_error);
  EXPECT_THROW(render_markdown(x), report_error);
  EXPECT_THROW(render_console(x), report_error);
}

TEST(ReportCheck, BenchTimeline) {
  json r = load_fixture("bench_shard1.json");
  json x = r;
  x["bench"]["timeline"] = json::object();
  EXPECT_EQ(error_of(x), "/bench/timeline: must be an array");
  x = r;
  x["bench"]["timeline"][1] = 3;
  EXPECT_EQ(error_of(x), "/bench/timeline/1: must be an object");
  for (const json& bad : {json(-1), json(1.5), json("2"), json(nullptr)}) {
    x = r;
    x["bench"]["timeline"][2]["t"] = bad;
    EXPECT_EQ(error_of(x), "/bench/timeline/2/t: must be a non-negative integer") << bad;
  }
  x = r;
  x["bench"]["timeline"][4]["histogram"]["count"] = 1;
  EXPECT_EQ(error_of(x).rfind("/bench/timeline/4/histogram: histogram: count", 0), 0u) << error_of(x);
  EXPECT_THROW(render_html(x), report_error);
  EXPECT_THROW((void)merge_reports({x}), report_error);
}

TEST(ReportSummary, RecomputedFromRecords) {
  json r = load_fixture("run_mixed.json");
  json s = summarize_records(r["records"], 7.25);
  EXPECT_EQ(s, r["summary"]);
  EXPECT_EQ(summarize_records(json::array(), -1)["duration_s"], 0.0);
}

TEST(RenderJunit, OneSuitePerFileOneCasePerCheck) {
  std::string x = render_junit(load_fixture("run_mixed.json"));
  EXPECT_EQ(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0), 0u);
  EXPECT_NE(x.find("<testsuites name=\"mailharness run\" tests=\"9\" failures=\"3\" errors=\"1\" skipped=\"1\""),
            std::string::npos)
      << x.substr(0, 300);
  EXPECT_EQ(occurrences(x, "<testsuite "), 6u);
  EXPECT_EQ(occurrences(x, "<testcase "), 9u);
  // Two records of one scenario: names carry the variant so they stay unique.
  EXPECT_NE(x.find("classname=\"imap-xoauth2-basic\" name=\"outcome [imap alice@contoso.onmicrosoft.com XOAUTH2]\""),
            std::string::npos);
  EXPECT_NE(x.find("classname=\"demo-sp-missing\" name=\"outcome\" time=\"0.031\""), std::string::npos);
  // The failure message carries the check, the server's reply and the finding.
  EXPECT_NE(x.find("<failure message=\"outcome: auth: expected pass, got rejected | server said: A001 NO "
                   "AUTHENTICATE failed. | finding: Exchange service principal not registered\" type=\"rejected\">"),
            std::string::npos);
  EXPECT_NE(x.find("fix: New-ServicePrincipal -AppId"), std::string::npos);
  EXPECT_NE(x.find("<skipped message=\"needs the fake&#39;s fault controls; the target is a tenant profile\"/>"),
            std::string::npos);
  EXPECT_NE(x.find("<error message=\"greeting not received within 5 s\" type=\"timeout\">"), std::string::npos);
}

TEST(RenderJunit, EscapesEverythingAndDropsControlCharacters) {
  std::string x = render_junit(load_fixture("run_mixed.json"));
  EXPECT_FALSE(has_control(x));
  EXPECT_EQ(x.find("<script>"), std::string::npos);
  EXPECT_EQ(x.find("]]>"), std::string::npos);
  EXPECT_EQ(x.find("<b>"), std::string::npos);
  EXPECT_NE(x.find("classname=\"escaping-&lt;check&gt;\""), std::string::npos);
  EXPECT_NE(x.find("name=\"scenarios/test/escaping &amp; &quot;quotes&quot;.json\""), std::string::npos);
  EXPECT_NE(x.find("bell esc[31mred[0m nul-less ctl"), std::string::npos);  // ESC, BEL, SOH gone
  // Multi-line remediation inside an attribute keeps its line break as a reference.
  EXPECT_EQ(x.find("message=\"outcome: auth: expected pass, got rejected\n"), std::string::npos);
}

TEST(RenderJunit, InterruptedRunIsAnError) {
  json r = load_fixture("run_mixed.json");
  r["interrupted"] = true;
  std::string x = render_junit(r);
  EXPECT_NE(x.find("<testsuite name=\"mailharness\""), std::string::npos);
  EXPECT_NE(x.find("errors=\"2\""), std::string::npos);
}

TEST(RenderHtml, HasTheStableHooks) {
  std::string h = render_html(load_fixture("run_mixed.json"));
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* hook :
       {"id=\"summary\"", "id=\"results\"", "<table id=\"results-table\">", "id=\"filter-outcome\"",
        "id=\"filter-protocol\"", "id=\"filter-tag\"", "id=\"filter-text\"", "id=\"latency\"",
        "class=\"latency-chart\"", "class=\"histogram-chart\"", "id=\"failures\"", "id=\"verdicts\"",
        "id=\"js-errors\"", "<pre class=\"transcript\">", "class=\"finding\"", "id=\"verdict\"",
        "<tr class=\"record fail\"", "<tr class=\"record pass\"", "<tr class=\"record skip\"",
        "<tr class=\"record error\"", "<article class=\"failure fail\"", "<article class=\"failure error\""})
    EXPECT_NE(h.find(hook), std::string::npos) << hook;
  EXPECT_EQ(occurrences(h, "<tr class=\"record "), 7u);
  EXPECT_EQ(occurrences(h, "<article class=\"failure "), 4u);
  EXPECT_NE(h.find("<li class=\"count fail\" data-key=\"failed\"><b>3</b>"), std::string::npos);
}

TEST(RenderHtml, EscapesAllData) {
  std::string h = render_html(load_fixture("run_mixed.json"));
  EXPECT_EQ(h.find("<script>alert"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(h.find("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(occurrences(h, "<script>"), 2u);  // ours: the onerror hook and the filters
  EXPECT_EQ(h.find("<img"), std::string::npos);
  EXPECT_EQ(h.find("<b>BAD"), std::string::npos);
  EXPECT_NE(h.find("data-protocol=\"imap\""), std::string::npos);
  EXPECT_NE(h.find("eve&quot;&#39;&lt;&gt;&amp;@contoso"), std::string::npos);
  EXPECT_FALSE(has_control(h));
}

TEST(RenderHtml, SelfContained) {
  std::string h = render_html(load_fixture("run_mixed.json"));
  EXPECT_EQ(h.find("http://"), std::string::npos);
  EXPECT_EQ(h.find("https://"), std::string::npos);
  // Data cannot produce `="` (quotes are escaped), so these would be attributes we wrote:
  // nothing is loaded, links stay in the page.
  EXPECT_FALSE(std::regex_search(h, std::regex("\\s(src|srcset|action|formaction|poster)=\"")));
  EXPECT_FALSE(std::regex_search(h, std::regex("href=\"[^#]")));
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_NE(h.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(RenderHtml, EmptyReportAndFreeSections) {
  std::string h = render_html(load_fixture("validate_empty.json"));
  EXPECT_NE(h.find("id=\"summary\""), std::string::npos);
  EXPECT_NE(h.find("<table id=\"results-table\">"), std::string::npos);
  EXPECT_EQ(h.find("id=\"latency\""), std::string::npos);
  EXPECT_NE(h.find("id=\"cutover\""), std::string::npos);
  std::string b = render_html(load_fixture("bench_shard2.json"));
  EXPECT_NE(b.find("id=\"bench\""), std::string::npos);
  EXPECT_NE(b.find("id=\"interrupted\""), std::string::npos);
}

TEST(RenderHtml, BenchSection) {
  std::string h = render_html(load_fixture("bench_shard1.json"));
  for (const char* hook : {"<section id=\"bench\">", "<table class=\"fields\" id=\"bench-results\">",
                           "<svg class=\"timeline-chart\" id=\"bench-timeline\"", "id=\"bench-phases\"",
                           "<svg class=\"histogram-chart\" id=\"bench-histogram-total\"", "id=\"bench-config\"",
                           "id=\"bench-counters\"", "<table id=\"results-table\">", "<table class=\"latency-table\">"})
    EXPECT_NE(h.find(hook), std::string::npos) << hook;
  EXPECT_EQ(occurrences(h, "id=\"bench\""), 1u);  // the generic bench table is gone
  EXPECT_EQ(h.find("id=\"latency\""), std::string::npos);  // the bench phases replace it
  EXPECT_LT(h.find("id=\"bench\""), h.find("id=\"results\""));
  // Results from the counters: 498 ok in 10.002 s, 2 of 500 failed, CPU and token requests per login.
  for (const char* row : {"<tr><th>logins/s</th><td class=\"num\">49.8</td></tr>",
                          "<tr><th>error rate</th><td class=\"num\">0.400 %</td></tr>",
                          "<tr><th>client CPU per login</th><td class=\"num\">377 µs</td></tr>",
                          "<tr><th>server CPU per login</th><td class=\"num\">122 µs</td></tr>",
                          "<tr><th>token requests per login</th><td class=\"num\">0.00201</td></tr>",
                          "498 ok, 2 failed of 500 logins in 10.00 s, 0 TLS sessions resumed"})
    EXPECT_NE(h.find(row), std::string::npos) << row;
  // The timeline: one group per second, the two failures stacked in second 4, one unbroken
  // line per series (p50, p99, max).
  EXPECT_EQ(occurrences(h, "<g class=\"second\""), 10u);
  EXPECT_EQ(occurrences(h, "<rect class=\"tl-failed\""), 2u);  // the legend and second 4
  EXPECT_NE(h.find("<g class=\"second\" data-t=\"4\"><title>4 s: 48 ok, 2 failed; p50 "), std::string::npos);
  EXPECT_EQ(occurrences(h, "<polyline class=\"tl-line "), 3u);
  // Phase rows in login order, total first.
  EXPECT_LT(h.find("data-phase=\"total\""), h.find("data-phase=\"token\""));
  EXPECT_LT(h.find("data-phase=\"tls\""), h.find("data-phase=\"auth\""));
  EXPECT_LT(h.find("data-phase=\"probe\""), h.find("data-phase=\"logout\""));
  EXPECT_FALSE(has_control(h));

  // Null results (no server CPU, no successful login) read n/a; a gap in the timeline breaks
  // the lines and a lone second is a dot.
  json r = load_fixture("bench_shard1.json");
  r["bench"].erase("results");
  r["bench"]["counters"].erase("server_cpu_ns");
  json& tl = r["bench"]["timeline"];
  tl.erase(tl.begin() + 5);  // seconds 0-4, 6-9
  tl.erase(tl.begin() + 6);  // seconds 0-4, 6, 8-9
  std::string g = render_html(r);
  EXPECT_NE(g.find("<tr><th>server CPU per login</th><td class=\"num\">n/a</td></tr>"), std::string::npos);
  EXPECT_NE(g.find("<tr><th>logins/s</th><td class=\"num\">49.8</td></tr>"), std::string::npos);
  EXPECT_EQ(occurrences(g, "<polyline class=\"tl-line "), 6u);
  EXPECT_EQ(occurrences(g, "<circle class=\"tl-line "), 3u);
  r["bench"]["timeline"] = json::array();
  EXPECT_NE(render_html(r).find("no timeline</text>"), std::string::npos);
}

// A bench report carrying hostile text anywhere comes out as text in every renderer.
TEST(RenderAll, BenchEscapesHostileData) {
  json r = load_fixture("bench_shard1.json");
  r["bench"]["config"]["target"] = "<script>alert(7)</script>";
  r["bench"]["config"]["mechanism"] = "x\x1b[2J<img src=x onerror=alert(1)>";
  r["bench"]["config"]["note\"><img src=z>"] = "y";
  r["bench"]["extra"] = {{"reply", "A1 NO <b>BAD</b> \x1b[31m"}};
  r["bench"]["phases"]["<img src=y>"] = r["bench"]["phases"]["auth"];
  r["records"][0]["errors"][0]["reply"] = "A1 NO </code><script>alert(8)</script>";
  std::string h = render_html(r);
  EXPECT_EQ(occurrences(h, "<script>"), 2u);  // ours
  EXPECT_EQ(h.find("<img"), std::string::npos);
  EXPECT_EQ(h.find("<b>BAD"), std::string::npos);
  EXPECT_NE(h.find("&lt;script&gt;alert(7)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(h.find("<code class=\"reply\">A1 NO &lt;/code&gt;&lt;script&gt;alert(8)&lt;/script&gt;</code>"),
            std::string::npos);
  EXPECT_NE(h.find("data-key=\"note&quot;&gt;&lt;img src=z&gt;\""), std::string::npos);
  std::string m = render_markdown(r), c = render_console(r);
  EXPECT_EQ(m.find("<img"), std::string::npos);
  EXPECT_EQ(m.find("<script>alert(7)"), std::string::npos);
  EXPECT_NE(m.find("`A1 NO </code><script>alert(8)</script>`"), std::string::npos);  // a code span: inert
  EXPECT_NE(m.find("| &lt;img src=y&gt; |"), std::string::npos);
  EXPECT_FALSE(has_control(h + m + c));
  EXPECT_NE(c.find("bench: imap x[2J<img src=x onerror=alert(1)>, closed model"), std::string::npos);
}

TEST(RenderMarkdown, TableFailuresAndEscaping) {
  std::string m = render_markdown(load_fixture("run_mixed.json"));
  EXPECT_EQ(m.rfind("## ❌ mailharness run: 2 passed, 3 failed, 1 error, 1 skipped", 0), 0u) << m.substr(0, 200);
  EXPECT_NE(m.find("| | scenario | protocol |"), std::string::npos);
  EXPECT_NE(m.find("### Failures"), std::string::npos);
  EXPECT_NE(m.find("- Server said: `A001 NO AUTHENTICATE failed.`"), std::string::npos);
  EXPECT_NE(m.find("- Finding: **Exchange service principal not registered**"), std::string::npos);
  EXPECT_NE(m.find("### Latency (ms)"), std::string::npos);
  EXPECT_EQ(m.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(m.find("<img"), std::string::npos);
  EXPECT_NE(m.find("&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_FALSE(has_control(m));
  // A fence inside the remediation cannot close the code block around it.
  EXPECT_NE(m.find("````text\necho '</pre><script>alert(5)</script>'\n```\nnot a fence\n````"), std::string::npos);
  // Table rows: failures first; every row has the same number of unescaped cell separators.
  auto first_row = m.find("| ❌ |");
  auto first_pass = m.find("| ✅ |");
  EXPECT_LT(first_row, first_pass);
}

TEST(RenderMarkdown, BoundedLength) {
  json r = load_fixture("run_mixed.json");
  json many = json::array();
  for (int i = 0; i < 400; ++i) {
    json rec = r["records"][static_cast<std::size_t>(i % 7)];
    rec["id"] = "rec-" + std::to_string(i);
    many.push_back(rec);
  }
  r["records"] = many;
  for (std::size_t limit : {std::size_t{3000}, std::size_t{20000}, std::size_t{64 * 1024}}) {
    markdown_options o;
    o.max_bytes = limit;
    std::string m = render_markdown(r, o);
    EXPECT_LE(m.size(), limit);
    EXPECT_NE(m.find("see the HTML report"), std::string::npos);
  }
  markdown_options rows;
  rows.max_rows = 5;
  std::string m = render_markdown(r, rows);
  EXPECT_NE(m.find("395 more records"), std::string::npos);
}

namespace {

// Positions of "<before><name><after>" for each name, which must be ascending.
void expect_in_order(const std::string& text, const std::vector<std::string>& names, const std::string& before,
                     const std::string& after) {
  std::size_t last = 0;
  for (const auto& n : names) {
    auto pos = text.find(before + n + after);
    ASSERT_NE(pos, std::string::npos) << n;
    EXPECT_GT(pos, last) << n;
    last = pos;
  }
}

const std::vector<std::string> fixture_phase_order = {"total",      "token", "connect", "tls",   "greeting",
                                                      "capability", "auth",  "probe",   "logout"};

}  // namespace

TEST(RenderMarkdown, BenchResultsAndPhaseTable) {
  json r = load_fixture("bench_shard1.json");
  std::string m = render_markdown(r);
  EXPECT_EQ(m.rfind("## ❌ mailharness bench: 0 passed, 1 failed", 0), 0u) << m.substr(0, 200);
  EXPECT_NE(m.find("### Benchmark\n\nimap xoauth2, closed model, 4 workers, 10 s after 2 s warm-up, token cached, "
                   "TLS implicit (ec\\_p256), target embedded\n\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("| logins/s | error rate | client CPU per login | server CPU per login | token requests per login |\n"
                   "|--:|--:|--:|--:|--:|\n| 49.8 | 0.400 % | 377 µs | 122 µs | 0.00201 |\n"),
            std::string::npos);
  EXPECT_NE(m.find("### Latency per phase (ms)\n\n| phase | count | p50 | p90 | p99 | p99.9 | max |\n"), std::string::npos);
  EXPECT_NE(m.find("| total | 500 | "), std::string::npos);
  EXPECT_NE(m.find("| probe | 498 | "), std::string::npos);  // the two failed logins timed out in auth
  expect_in_order(m, fixture_phase_order, "| ", " | ");
  EXPECT_EQ(m.find("### Latency (ms)"), std::string::npos);  // replaced by the bench table
  EXPECT_NE(m.find("- Error: timeout timeout in phase auth"), std::string::npos);  // failures as usual
  // An open-model report says so; a queue phase sits after token.
  r["bench"]["config"]["model"] = "open";
  r["bench"]["config"]["rate"] = 50;
  r["bench"]["phases"]["queue"] = r["bench"]["phases"]["token"];
  m = render_markdown(r);
  EXPECT_NE(m.find("imap xoauth2, open model, 50 logins/s offered, 10 s after 2 s warm-up"), std::string::npos);
  expect_in_order(m, {"total", "token", "queue", "connect"}, "| ", " | ");
}

TEST(RenderConsole, BenchResultsAndPhaseTable) {
  std::string c = render_console(load_fixture("bench_shard1.json"));
  EXPECT_EQ(c.rfind("mailharness bench: FAIL — 1 record in 1 scenario: 0 passed, 1 failed", 0), 0u) << c;
  EXPECT_NE(c.find("\nbench: imap xoauth2, closed model, 4 workers, 10 s after 2 s warm-up"), std::string::npos) << c;
  for (const char* line : {"\n  logins/s                  49.8\n", "\n  error rate                0.400 %\n",
                           "\n  client CPU per login      377 µs\n", "\n  server CPU per login      122 µs\n",
                           "\n  token requests per login  0.00201\n",
                           "\n  498 ok, 2 failed of 500 logins in 10.00 s, 0 TLS sessions resumed\n",
                           "\nphase            count       p50       p90       p99     p99.9       max  (ms)\n",
                           "\ntotal              500 "})
    EXPECT_NE(c.find(line), std::string::npos) << line << "\n" << c;
  expect_in_order(c, fixture_phase_order, "\n", " ");
  EXPECT_EQ(c.find("login time:"), std::string::npos);  // the bench table has the total
  EXPECT_NE(c.find("FAIL  bench [imap alice@contoso.onmicrosoft.com XOAUTH2]"), std::string::npos);
  EXPECT_FALSE(has_control(c));
}

TEST(RenderConsole, SummaryAndFailuresWithoutEscapes) {
  json r = load_fixture("run_mixed.json");
  std::string c = render_console(r);
  EXPECT_EQ(c.rfind("mailharness run: FAIL — 7 records in 6 scenarios: 2 passed, 3 failed, 1 error, 1 skipped (7.25 s)\n", 0), 0u) << c;
  EXPECT_NE(c.find("FAIL  demo-sp-missing [imap bob@contoso.onmicrosoft.com XOAUTH2]\n"), std::string::npos);
  EXPECT_NE(c.find("      server said: A001 NO AUTHENTICATE failed.\n"), std::string::npos);
  EXPECT_NE(c.find("      fix: New-ServicePrincipal"), std::string::npos);
  EXPECT_NE(c.find("ERROR fault-greeting-stall"), std::string::npos);
  EXPECT_NE(c.find("login time: p50 "), std::string::npos);
  EXPECT_FALSE(has_control(c));
  console_options o;
  o.color = true;
  o.max_failures = 1;
  std::string colored = render_console(r, o);
  EXPECT_EQ(colored.find("\x1b[2J"), std::string::npos);  // the server's escape sequence is gone
  EXPECT_NE(colored.find("\x1b[31;1mFAIL\x1b[0m"), std::string::npos);
  EXPECT_NE(colored.find("and 3 more failures"), std::string::npos);
}

namespace {

void pointers(const json& j, const std::string& at, std::vector<std::string>& out) {
  out.push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) pointers(v, at + "/" + k, out);
  else if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) pointers(j[i], at + "/" + std::to_string(i), out);
}

}  // namespace

// Damaged reports give report_error or a rendering, never a crash or another exception.
class DamagedReports : public ::testing::TestWithParam<const char*> {};

TEST_P(DamagedReports, NeverCrash) {
  json good = load_fixture(GetParam());
  std::vector<std::string> all;
  pointers(good, "", all);
  // Histogram internals have their own damage test (test_histogram.cpp); leaving them out
  // keeps most damaged reports renderable, so the renderers are exercised.
  std::erase_if(all, [](const std::string& p) { return p.find("/histogram/") != std::string::npos; });
  const std::vector<json> replacements = {nullptr, 42, -1, "x", json::array(), json::object(), true,
                                          "\xff\xfe bad \xc3", 1e300, "<script>"};
  std::mt19937_64 rng(11);
  int rendered = 0;
  for (int round = 0; round < 400; ++round) {
    json r = good;
    std::string damage;
    for (int k = 0; k < 3; ++k) {
      const std::string& p = all[rng() % all.size()];
      if (p.empty()) continue;
      json::json_pointer ptr(p);
      if (!r.contains(ptr)) continue;
      r[ptr] = replacements[rng() % replacements.size()];
      damage += " " + p + "=" + r[ptr].dump(-1, ' ', false, json::error_handler_t::replace);
    }
    try {
      std::string h = render_html(r), x = render_junit(r), m = render_markdown(r), c = render_console(r);
      EXPECT_FALSE(has_control(h + x + m + c));
      EXPECT_EQ(h.find("<script>\""), std::string::npos);
      json twin = r;
      if (twin.is_object()) twin.erase("shard");  // a shard cannot be merged with itself
      (void)merge_reports({r, twin});
      ++rendered;
    } catch (const report_error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << " after" << damage;
    }
  }
  EXPECT_GT(rendered, 100);
}

INSTANTIATE_TEST_SUITE_P(RenderAll, DamagedReports, ::testing::Values("run_mixed.json", "bench_shard1.json"));
