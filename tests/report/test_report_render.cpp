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
TEST(RenderAll, DamagedReportsNeverCrash) {
  json good = load_fixture("run_mixed.json");
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
      (void)merge_reports({r, r});
      ++rendered;
    } catch (const report_error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << " after" << damage;
    }
  }
  EXPECT_GT(rendered, 100);
}
