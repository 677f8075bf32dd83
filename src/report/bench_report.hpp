// Internal to src/report: the "bench" section of report.json (reports/README.md "### bench"):
// its timeline and the pieces each renderer shows for it (merge.cpp merges it). Not part of
// the public API (render.hpp is).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"

namespace mh::report_detail {

using json = nlohmann::json;

// True for a bench report with a bench section: the renderers show that section.
bool is_bench_report(const json& report);
// True when that section has phases: they replace the latency aggregated over the records.
bool shows_bench_phases(const json& report);

// Phase names of `phases` in the order bench reports show them: total, token, queue, resolve,
// connect, tls, greeting, capability, starttls, tls_upgrade, capability2, auth, capability3,
// probe, fetch, send, logout (only those present), then unknown names alphabetically.
std::vector<std::string> bench_phase_order(const json& phases);

// bench.phases as (name, summary) rows in bench_phase_order.
std::vector<std::pair<std::string, latency_summary>> bench_phase_rows(const json& bench);

// The figures of bench.results as display text, in a fixed order: logins/s, error rate,
// client CPU per login, server CPU per login, token requests per login ("n/a" for null).
// From the stored results when present, else computed from counters and window_s.
std::vector<std::pair<std::string, std::string>> bench_result_items(const json& bench);

// "imap xoauth2, closed model, 16 workers, 10 s (+2 s warm-up)" from bench.config.
std::string bench_config_line(const json& bench);

// "12345 ok, 2 failed of 12347 logins in 10.00 s" from the counters and window.
std::string bench_counts_line(const json& bench);

// One second of bench.timeline; `has_histogram` is false when the entry carried none.
struct timeline_second {
  std::uint64_t ok = 0, failed = 0;
  histogram latency;
  bool has_histogram = true;
};
// The timeline by second (entries with the same t combined). Histograms must have passed
// check_report (which validates them).
std::map<std::uint64_t, timeline_second> timeline_by_second(const json& timeline);

// The HTML section#bench (results, config, timeline chart, per-phase charts and table).
std::string bench_html(const json& bench);
// The Markdown block: a results table and the per-phase table.
std::string bench_markdown(const json& bench);
// The console block: results lines and a per-phase table.
std::string bench_console(const json& bench);

}  // namespace mh::report_detail
