// JUnit XML, the Ant/Jenkins dialect read by Jenkins, GitLab and GitHub test reporters.
#include <map>
#include <sstream>

#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

using namespace report_detail;

namespace {

constexpr std::size_t max_transcript_lines = 200;

enum class kind { pass, failure, error, skipped };

struct testcase {
  std::string name;
  double time = 0;
  kind k = kind::pass;
  std::string message;
  std::string type;
  std::string body;
};

struct suite {
  std::string name;
  std::vector<std::pair<std::string, testcase>> cases;  // (classname, case)
};

std::string one_line_message(const std::string& what, const failure_info& f) {
  std::string m = what;
  if (!f.reply.empty()) m += " | server said: " + f.reply;
  if (!f.finding.empty()) m += " | finding: " + f.finding;
  return m;
}

std::string failure_body(const json& rec, const std::string& what, const json& check = json()) {
  std::ostringstream b;
  b << "record: " << str(rec, "id") << "\n" << what << "\n";
  if (check.contains("expected")) b << "expected: " << as_text(check["expected"]) << "\n";
  if (check.contains("actual")) b << "actual: " << as_text(check["actual"]) << "\n";
  for (const auto& e : items(rec, "errors")) {
    b << "error: " << str(e, "class") << " " << str(e, "code");
    if (!str(e, "phase").empty()) b << " in phase " << str(e, "phase");
    if (count(e, "count") > 1) b << " (x" << count(e, "count") << ")";
    b << "\n";
    if (!str(e, "reply").empty()) b << "server said: " << str(e, "reply") << "\n";
  }
  for (const auto& fi : items(rec, "findings")) {
    b << "finding: " << str(fi, "title") << "\n";
    if (!str(fi, "step").empty()) b << "missing step: " << str(fi, "step") << "\n";
    if (!str(fi, "remediation").empty()) b << "fix: " << str(fi, "remediation") << "\n";
  }
  const json& t = items(rec, "transcript");
  if (!t.empty()) {
    b << "transcript:\n";
    std::size_t start = t.size() > max_transcript_lines ? t.size() - max_transcript_lines : 0;
    if (start) b << "  … " << start << " earlier lines\n";
    for (std::size_t i = start; i < t.size(); ++i) b << "  " << as_text(t[i]) << "\n";
  }
  return b.str();
}

std::vector<testcase> cases_of(const json& rec, bool qualify) {
  std::string suffix;
  if (qualify) {
    std::string v = record_variant(rec);
    suffix = " [" + (v.empty() ? str(rec, "id") : v) + "]";
  }
  std::string outcome = str(rec, "outcome");
  failure_info f = describe_failure(rec);
  std::vector<testcase> out;
  bool any_failed = false;
  for (const auto& c : items(rec, "checks")) {
    testcase tc;
    tc.name = str(c, "name") + suffix;
    if (outcome == "skip") {
      tc.k = kind::skipped;
      tc.message = str(rec, "skip_reason");
    } else if (!flag(c, "ok")) {
      any_failed = true;
      std::string what = str(c, "name") + ": " + check_text(c);
      tc.k = kind::failure;
      tc.type = f.error_class.empty() ? "check" : f.error_class;
      tc.message = one_line_message(what, f);
      tc.body = failure_body(rec, what, c);
    }
    out.push_back(std::move(tc));
  }
  bool need_outcome_case = out.empty() || outcome == "error" || (outcome == "fail" && !any_failed);
  if (need_outcome_case) {
    testcase tc;
    tc.name = "outcome" + suffix;
    if (outcome == "skip") {
      tc.k = kind::skipped;
      tc.message = str(rec, "skip_reason");
    } else if (outcome == "error" || outcome == "fail") {
      std::string what = f.message.empty() ? "outcome: " + outcome : f.message;
      tc.k = outcome == "error" ? kind::error : kind::failure;
      tc.type = f.error_class.empty() ? outcome : f.error_class;
      tc.message = one_line_message(what, f);
      tc.body = failure_body(rec, what);
    }
    out.push_back(std::move(tc));
  }
  out.front().time = num(rec, "duration_s");
  return out;
}

struct totals {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double time = 0;
  void add(const testcase& tc) {
    ++tests;
    failures += tc.k == kind::failure;
    errors += tc.k == kind::error;
    skipped += tc.k == kind::skipped;
    time += tc.time;
  }
};

std::string attr(std::string_view s) { return escape_markup(s, true); }

void write_counts(std::ostringstream& x, const totals& t) {
  x << " tests=\"" << t.tests << "\" failures=\"" << t.failures << "\" errors=\"" << t.errors
    << "\" skipped=\"" << t.skipped << "\" time=\"" << fmt_fixed(t.time, 3) << "\"";
}

void write_case(std::ostringstream& x, const std::string& classname, const testcase& tc) {
  x << "    <testcase classname=\"" << attr(classname) << "\" name=\"" << attr(tc.name)
    << "\" time=\"" << fmt_fixed(tc.time, 3) << "\"";
  if (tc.k == kind::pass) {
    x << "/>\n";
    return;
  }
  x << ">\n";
  if (tc.k == kind::skipped) {
    x << "      <skipped message=\"" << attr(tc.message) << "\"/>\n";
  } else {
    const char* tag = tc.k == kind::failure ? "failure" : "error";
    x << "      <" << tag << " message=\"" << attr(tc.message) << "\" type=\"" << attr(tc.type)
      << "\">" << escape_markup(tc.body) << "</" << tag << ">\n";
  }
  x << "    </testcase>\n";
}

}  // namespace

std::string render_junit(const json& report) {
  check_report(report);
  const json& records = report["records"];
  std::map<std::string, std::size_t> per_scenario;
  for (const auto& rec : records) ++per_scenario[str(rec, "scenario")];

  std::vector<suite> suites;
  std::map<std::string, std::size_t> suite_of;
  for (const auto& rec : records) {
    std::string file = str(rec, "file");
    if (file.empty()) file = str(rec, "scenario");
    auto [it, fresh] = suite_of.emplace(file, suites.size());
    if (fresh) suites.push_back({file, {}});
    std::string scenario = str(rec, "scenario");
    for (auto& tc : cases_of(rec, per_scenario[scenario] > 1))
      suites[it->second].cases.emplace_back(scenario, std::move(tc));
  }
  if (flag(report, "interrupted")) {
    testcase tc;
    tc.name = "run completed";
    tc.k = kind::error;
    tc.type = "interrupted";
    tc.message = "the run was interrupted; the results are incomplete";
    suites.push_back({"mailharness", {{"mailharness", tc}}});
  }

  std::string timestamp = str(report, "started_at").substr(0, 19);  // no zone, as Ant writes it
  totals all;
  std::ostringstream body;
  for (const auto& s : suites) {
    totals t;
    for (const auto& [_, tc] : s.cases) t.add(tc);
    body << "  <testsuite name=\"" << attr(s.name) << "\"";
    write_counts(body, t);
    if (!timestamp.empty()) body << " timestamp=\"" << attr(timestamp) << "\"";
    body << ">\n";
    for (const auto& [classname, tc] : s.cases) write_case(body, classname, tc);
    body << "  </testsuite>\n";
    all.tests += t.tests;
    all.failures += t.failures;
    all.errors += t.errors;
    all.skipped += t.skipped;
    all.time += t.time;
  }
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"mailharness "
    << attr(str(report, "command")) << "\"";
  write_counts(x, all);
  x << ">\n" << body.str() << "</testsuites>\n";
  return x.str();
}

}  // namespace mh
