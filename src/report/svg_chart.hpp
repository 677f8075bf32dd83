// Internal to src/report: latency charts as inline SVG for the HTML report (no scripts, no
// external resources; every text escaped).
#pragma once

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

}  // namespace mh::report_detail
