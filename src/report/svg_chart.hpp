// Internal to src/report: latency charts as inline SVG for the HTML report (no scripts, no
// external resources; every text escaped), and the latency table shown beside them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/histogram.hpp"

namespace mh::report_detail {

// <svg class="latency-chart">: one row per phase with bars for p50, p90 and p99 (ms, log
// scale over whole decades shared by all rows, with a grid line per decade) and their values.
std::string svg_phase_bars(const std::vector<std::pair<std::string, latency_summary>>& phases,
                           std::string_view id);

// <svg class="histogram-chart">: the distribution of one phase over log-spaced bins from min
// to max, with p50 and p99 marked.
std::string svg_histogram(const histogram& h, std::string_view phase, std::string_view id);

// One second of a benchmark: logins completed in second t of the window and the total latency
// of those logins (ms; meaningful only when has_latency).
struct timeline_point {
  std::uint64_t t = 0, ok = 0, failed = 0;
  bool has_latency = false;
  double p50 = 0, p99 = 0, max = 0;
};
// <svg class="timeline-chart">: latency over time, p50, p99 and max per second as lines (ms,
// log scale over whole decades, left axis; a gap where a second has no latency), over bars of
// logins per second, ok and failed stacked (right axis, linear from 0). `points` ascending by t.
std::string svg_timeline(const std::vector<timeline_point>& points, std::string_view id);

// <table class="latency-table">: count, min, mean, p50, p90, p95, p99, p99.9 and max per phase.
std::string html_latency_table(const std::vector<std::pair<std::string, latency_summary>>& rows);

}  // namespace mh::report_detail
