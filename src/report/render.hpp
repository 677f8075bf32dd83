// The report set (DESIGN §5): renderers and shard merging over report.json.
//
// The report.json document ("mailharness.report/1", schema reports/report.schema.json,
// documented in reports/README.md) is the contract: everything here takes and returns
// nlohmann::json, never the runner's C++ types, so `mailharness report render` can re-render a
// stored report and `mailharness report merge` can combine shard reports.
//
// Every renderer first calls check_report() and so throws report_error for a document that is
// not a mailharness.report/1 report; optional fields may be absent. Renderers escape every
// string taken from the report for their output language and drop control characters (a
// server reply cannot inject markup or terminal escapes). They never add secrets: transcripts
// are rendered as stored (the runner redacts them before writing).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mh {

inline constexpr std::string_view report_format = "mailharness.report/1";

struct report_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws report_error naming the JSON pointer of the first problem ("/records/3/outcome: …")
// unless `doc` has the right format, a known command and well-formed records (id, scenario,
// outcome). A structural check for safe rendering; the JSON Schema is the full contract.
void check_report(const nlohmann::json& doc);

// The "summary" object recomputed from `records`: scenarios (distinct scenario ids), records,
// passed, failed, skipped, errors, and the given duration.
nlohmann::json summarize_records(const nlohmann::json& records, double duration_s);

// JUnit XML (the Ant/Jenkins dialect that Jenkins, GitLab and GitHub test reporters read): one
// <testsuite> per scenario file, one <testcase> per record x check (classname = scenario id;
// name = check name, plus "[protocol mailbox mechanism]" when a scenario has several records);
// <failure>/<error>/<skipped> with messages carrying the server reply and the finding.
std::string render_junit(const nlohmann::json& report);

// One self-contained HTML file (no external URLs; a CSP forbids loading any; small inline JS
// for the filters). Stable hooks: #summary, #results table#results-table with rows
// tr.record.<outcome> (data-outcome, data-protocol, data-tags), #filters (#filter-outcome,
// #filter-protocol, #filter-tag, #filter-text; also preset by "#outcome=fail&protocol=imap&
// tag=t&q=text" in the URL), #latency with svg.latency-chart and svg.histogram-chart,
// #failures with article.failure (pre.transcript, .finding), #js-errors (filled by
// window.onerror), body[data-ready="1"] once the script ran.
std::string render_html(const nlohmann::json& report);

struct markdown_options {
  std::size_t max_bytes = 64 * 1024;  // GitHub allows 1 MiB per step summary
  std::size_t max_rows = 100;         // result table rows (failures first)
  std::size_t max_failures = 30;      // failures described in detail
};
// GitHub-flavoured Markdown for a CI job summary; never longer than max_bytes.
std::string render_markdown(const nlohmann::json& report, const markdown_options& opt = {});

struct console_options {
  std::size_t max_failures = 20;
  bool color = false;  // ANSI colours for a terminal
};
// A few summary lines, then one short block per failed or errored record.
std::string render_console(const nlohmann::json& report, const console_options& opt = {});

// Merges shard reports (`mailharness run|bench --shard I/N`). All must be mailharness.report/1
// with the same command, else report_error names the report (1-based) and the field; a shard
// index given twice is refused. Records are concatenated in input order; records with the same
// id (the same scenario x protocol x mailbox run by several shards, as bench does) are combined:
// phase histograms merged exactly and summaries recomputed from them (a phase without its
// histogram cannot be combined: report_error), counters added, errors grouped, worst outcome.
// started_at = earliest, finished_at = latest, interrupted if any was, summary recomputed
// (duration = finished_at - started_at), "shard" replaced by "merged". cutover comes from the
// first report that has one.
// bench (shards run concurrently over the same window): phases merged exactly, counters added
// (server_cpu_ns kept only when every shard has it), timeline merged by second "t" (ok/failed
// added, histograms merged exactly), window_s the longest, config.concurrency (closed model) or
// config.rate (open model) summed, results recomputed with bench_results(); shards whose
// config differs in protocol, mechanism, model or token are refused ("merge: report 2:
// /bench/config/model: …"). Other bench fields come from the first report that has them.
nlohmann::json merge_reports(const std::vector<nlohmann::json>& reports);

// The "results" of a bench section, derived from its "counters" and the measured window:
//   logins_per_s             ok / window_s (0 when window_s <= 0)
//   error_rate               failed / attempts (0 when there were no attempts)
//   client_cpu_per_login_us  client_cpu_ns / 1000 / ok
//   server_cpu_per_login_us  server_cpu_ns / 1000 / ok (null when server_cpu_ns is absent)
//   token_requests_per_login token_requests / ok
// The per-login figures are null when ok == 0. `mailharness bench` writes it and merge
// recomputes it; missing or malformed counters count as 0.
nlohmann::json bench_results(const nlohmann::json& counters, double window_s);

}  // namespace mh
