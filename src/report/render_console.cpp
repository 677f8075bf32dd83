// The compact summary printed at the end of a run: a few lines, then the failures.
#include <sstream>

#include "report/bench_report.hpp"
#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

using namespace report_detail;

namespace {

constexpr std::size_t max_fix_lines = 4;

// One line of report text for a terminal: no control characters (no escape sequences).
std::string line(std::string_view s) { return clean(s, false); }

struct painter {
  bool on;
  std::string operator()(std::string_view text, const char* code) const {
    if (!on) return std::string(text);
    return std::string("\x1b[") + code + "m" + std::string(text) + "\x1b[0m";
  }
};

}  // namespace

std::string render_console(const json& report, const console_options& opt) {
  check_report(report);
  painter paint{opt.color};
  const json& records = report["records"];
  json s = summarize_records(records, num(sub(report, "summary"), "duration_s"));
  bool ok = s["failed"] == 0 && s["errors"] == 0;
  std::ostringstream o;
  o << "mailharness " << line(str(report, "command")) << ": "
    << (ok ? paint("PASS", "32;1") : paint("FAIL", "31;1")) << " — " << record_counts(s) << ": "
    << outcome_counts(s) << " (" << fmt_seconds(num(s, "duration_s")) << ")\n";
  const json& target = sub(report, "target");
  o << "target: " << line(str(target, "kind")) << " — " << line(str(target, "description"))
    << (flag(target, "tls_verify") ? "" : "  (TLS verification OFF)") << "\n";
  if (flag(report, "interrupted")) o << paint("interrupted: the results are incomplete", "33;1") << "\n";
  if (is_bench_report(report)) o << bench_console(report["bench"]);
  std::vector<std::pair<std::string, histogram>> agg;
  if (!shows_bench_phases(report)) agg = aggregate_phases(records);
  for (const auto& [name, h] : agg) {
    if (name != "total") continue;
    latency_summary l = latency_summary::of(h);
    o << "login time: p50 " << fmt_ms(l.p50) << " ms, p99 " << fmt_ms(l.p99) << " ms, max "
      << fmt_ms(l.max) << " ms over " << l.count << " logins\n";
  }

  std::size_t shown = 0, failures = count(s, "failed") + count(s, "errors");
  for (const auto& rec : records) {
    std::string outcome = str(rec, "outcome");
    if (outcome != "fail" && outcome != "error") continue;
    if (shown == opt.max_failures) break;
    ++shown;
    failure_info f = describe_failure(rec);
    std::string variant = record_variant(rec);
    o << "\n" << paint(outcome == "fail" ? "FAIL " : "ERROR", "31;1") << " " << line(str(rec, "scenario"))
      << (variant.empty() ? "" : " [" + line(variant) + "]") << "\n";
    if (!f.message.empty()) o << "      " << line(f.message) << "\n";
    if (!f.reply.empty()) o << "      server said: " << line(f.reply) << "\n";
    if (!f.finding.empty())
      o << "      finding: " << line(f.finding) << (f.step.empty() ? "" : " — " + line(f.step)) << "\n";
    std::istringstream fix(f.remediation);
    std::string l;
    for (std::size_t n = 0; std::getline(fix, l); ++n) {
      if (n == max_fix_lines) {
        o << "           …\n";
        break;
      }
      o << (n == 0 ? "      fix: " : "           ") << line(l) << "\n";
    }
  }
  if (shown < failures) o << "\n… and " << failures - shown << " more failures (see the HTML report)\n";
  return o.str();
}

}  // namespace mh
