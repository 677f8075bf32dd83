// GitHub-flavoured Markdown for a CI job summary ($GITHUB_STEP_SUMMARY, GitLab MR notes),
// bounded in length.
#include <algorithm>
#include <sstream>

#include "report/bench_report.hpp"
#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

using namespace report_detail;

namespace {

constexpr std::size_t transcript_tail = 30;

const char* icon(const std::string& outcome) {
  return outcome == "pass" ? "✅" : outcome == "skip" ? "⏭️" : "❌";
}

// A fenced code block whose fence no line of `text` can close.
std::string fenced(std::string_view text) {
  std::string body = clean(text);
  std::size_t run = 0, longest = 0;
  for (char ch : body) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fence + "text\n" + body + fence + "\n";
}

// Appends blocks while they fit in `limit` bytes.
class bounded {
 public:
  explicit bounded(std::size_t limit) : limit_(limit) {}
  bool add(const std::string& block) {
    if (full_ || out_.size() + block.size() > limit_) {
      full_ = true;
      return false;
    }
    out_ += block;
    return true;
  }
  bool full() const { return full_; }
  std::string take() { return std::move(out_); }

 private:
  std::size_t limit_;
  bool full_ = false;
  std::string out_;
};

std::string failure_block(const json& rec) {
  std::ostringstream b;
  b << "#### " << icon(str(rec, "outcome")) << " " << escape_markdown(str(rec, "scenario"));
  if (!str(rec, "title").empty()) b << " — " << escape_markdown(str(rec, "title"));
  if (!record_variant(rec).empty()) b << " (" << escape_markdown(record_variant(rec)) << ")";
  b << "\n\n";
  for (const auto& c : items(rec, "checks"))
    if (!flag(c, "ok")) b << "- **" << escape_markdown(str(c, "name")) << "**: " << escape_markdown(check_text(c)) << "\n";
  for (const auto& x : items(rec, "errors")) {
    b << "- Error: " << escape_markdown(str(x, "class") + " " + str(x, "code"));
    if (!str(x, "phase").empty()) b << " in phase " << escape_markdown(str(x, "phase"));
    if (!str(x, "message").empty()) b << ": " << escape_markdown(str(x, "message"));
    b << "\n";
    if (!str(x, "reply").empty()) b << "- Server said: " << markdown_code(str(x, "reply")) << "\n";
  }
  for (const auto& fi : items(rec, "findings")) {
    b << "- Finding: **" << escape_markdown(str(fi, "title")) << "**";
    if (!str(fi, "step").empty()) b << " — missing step: " << escape_markdown(str(fi, "step"));
    b << "\n";
    if (!str(fi, "remediation").empty()) b << "\n" << fenced(str(fi, "remediation")) << "\n";
  }
  const json& t = items(rec, "transcript");
  if (!t.empty()) {
    std::string lines;
    std::size_t start = t.size() > transcript_tail ? t.size() - transcript_tail : 0;
    for (std::size_t i = start; i < t.size(); ++i) lines += as_text(t[i]) + "\n";
    b << "\n<details><summary>Transcript, last " << t.size() - start << " of " << t.size()
      << " lines (redacted)</summary>\n\n" << fenced(lines) << "\n</details>\n";
  }
  b << "\n";
  return b.str();
}

}  // namespace

std::string render_markdown(const json& report, const markdown_options& opt) {
  check_report(report);
  const json& records = report["records"];
  json s = summarize_records(records, num(sub(report, "summary"), "duration_s"));
  bool ok = s["failed"] == 0 && s["errors"] == 0;
  const std::string trailer = "\n_Output shortened to stay within the size limit: see the HTML report._\n";
  std::size_t limit = opt.max_bytes > trailer.size() ? opt.max_bytes - trailer.size() : 0;
  bounded out(limit);

  std::ostringstream head;
  head << "## " << (ok ? "✅" : "❌") << " mailharness " << escape_markdown(str(report, "command"))
       << ": " << outcome_counts(s) << "\n\n" << record_counts(s) << " · target "
       << escape_markdown(str(sub(report, "target"), "kind") + " — " + str(sub(report, "target"), "description"))
       << " · " << fmt_seconds(num(s, "duration_s")) << " · started "
       << escape_markdown(str(report, "started_at")) << "\n\n";
  if (flag(report, "interrupted")) head << "> ⚠️ The run was interrupted: results are incomplete.\n\n";
  if (!flag(sub(report, "target"), "tls_verify"))
    head << "> ⚠️ TLS certificate verification was off.\n\n";
  out.add(head.str());
  // A bench report: its results and per-phase table replace the generic latency table.
  if (is_bench_report(report)) out.add(bench_markdown(report["bench"]));

  // Result table: failures and errors first, then the rest, at most max_rows rows.
  std::vector<std::size_t> order(records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    auto bad = [&](std::size_t i) {
      std::string o = str(records[i], "outcome");
      return o == "fail" || o == "error";
    };
    return bad(a) && !bad(b);
  });
  if (!records.empty()) {
    out.add("| | scenario | protocol | mailbox | mechanism | time | details |\n|---|---|---|---|---|---|---|\n");
    std::size_t shown = 0;
    for (std::size_t i : order) {
      if (shown == opt.max_rows) break;
      const json& rec = records[i];
      std::string o = str(rec, "outcome");
      std::string row = "| " + std::string(icon(o)) + " | " + markdown_code(str(rec, "scenario")) +
                        " | " + escape_markdown(str(rec, "protocol")) + " | " +
                        escape_markdown(str(rec, "mailbox")) + " | " +
                        escape_markdown(str(rec, "mechanism")) + " | " +
                        fmt_seconds(num(rec, "duration_s")) + " | " +
                        escape_markdown(describe_failure(rec).message) + " |\n";
      if (!out.add(row)) break;
      ++shown;
    }
    if (shown < records.size())
      out.add("\n_… " + std::to_string(records.size() - shown) + " more records: see the HTML report._\n");
    out.add("\n");
  }

  std::vector<std::pair<std::string, histogram>> agg;
  if (!shows_bench_phases(report)) agg = aggregate_phases(records);
  if (!agg.empty()) {
    std::string t = "### Latency (ms)\n\n| phase | count | p50 | p90 | p99 | max |\n|---|--:|--:|--:|--:|--:|\n";
    for (const auto& [name, h] : agg) {
      latency_summary l = latency_summary::of(h);
      t += "| " + escape_markdown(name) + " | " + std::to_string(l.count) + " | " + fmt_ms(l.p50) +
           " | " + fmt_ms(l.p90) + " | " + fmt_ms(l.p99) + " | " + fmt_ms(l.max) + " |\n";
    }
    out.add(t + "\n");
  }

  std::size_t described = 0, failures = count(s, "failed") + count(s, "errors");
  if (failures) out.add("### Failures\n\n");
  for (std::size_t i : order) {
    std::string o = str(records[i], "outcome");
    if (o != "fail" && o != "error") break;
    if (described == opt.max_failures || !out.add(failure_block(records[i]))) break;
    ++described;
  }
  if (described < failures && !out.full())
    out.add("_… " + std::to_string(failures - described) + " more failures: see the HTML report._\n");
  bool shortened = out.full();
  std::string text = out.take();
  if (shortened && text.size() + trailer.size() <= opt.max_bytes) text += trailer;
  return text;
}

}  // namespace mh
