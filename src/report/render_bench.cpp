// The bench section as each renderer shows it: HTML section#bench, a Markdown block, console
// lines. Every string taken from the report is escaped for its output.
#include <algorithm>
#include <iomanip>
#include <sstream>

#include "report/bench_report.hpp"
#include "report/report_model.hpp"
#include "report/svg_chart.hpp"

namespace mh::report_detail {
namespace {

constexpr std::string_view known_fields[] = {"config", "window_s", "counters", "phases", "timeline", "results"};

std::string e(std::string_view s) { return escape_markup(s); }

void field_table(std::ostringstream& h, const char* id, const char* title, const json& fields) {
  if (!fields.is_object() || fields.empty()) return;
  h << "<h3>" << title << "</h3><table class=\"fields\" id=\"" << id << "\">";
  for (const auto& [k, v] : fields.items()) {
    h << "<tr data-key=\"" << escape_markup(k, true) << "\"><th>" << e(k) << "</th><td>";
    if (v.is_structured()) h << "<pre>" << e(v.dump(2, ' ', false, json::error_handler_t::replace)) << "</pre>";
    else h << e(as_text(v));
    h << "</td></tr>";
  }
  h << "</table>";
}

std::vector<timeline_point> timeline_points(const json& bench) {
  std::vector<timeline_point> points;
  for (const auto& [t, second] : timeline_by_second(sub(bench, "timeline"))) {
    timeline_point p;
    p.t = t;
    p.ok = second.ok;
    p.failed = second.failed;
    p.has_latency = second.has_histogram && !second.latency.empty();
    if (p.has_latency) {
      p.p50 = static_cast<double>(second.latency.percentile(50)) / 1e6;
      p.p99 = static_cast<double>(second.latency.percentile(99)) / 1e6;
      p.max = static_cast<double>(second.latency.max()) / 1e6;
    }
    points.push_back(p);
  }
  return points;
}

void phase_charts(std::ostringstream& h, const json& bench) {
  auto rows = bench_phase_rows(bench);
  if (rows.empty()) return;
  h << "<h3>Latency per phase (ms)</h3>" << svg_phase_bars(rows, "bench-phases") << html_latency_table(rows)
    << "<div class=\"charts\">";
  const json& phases = sub(bench, "phases");
  for (const auto& [name, _] : rows) {
    const json& hist = sub(phases[name], "histogram");
    if (!hist.is_object()) continue;
    try {
      h << svg_histogram(histogram::from_json(hist), name, "bench-histogram-" + name);
    } catch (const histogram_error&) {
    }  // check_report() lets no bad histogram through; a chart is never worth a failure
  }
  h << "</div>";
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string bench_html(const json& bench) {
  std::ostringstream h;
  h << "<section id=\"bench\"><h2>Benchmark</h2><p class=\"bench-config\">" << e(bench_config_line(bench))
    << "</p><table class=\"fields\" id=\"bench-results\">";
  for (const auto& [label, value] : bench_result_items(bench))
    h << "<tr><th>" << e(label) << "</th><td class=\"num\">" << e(value) << "</td></tr>";
  h << "<tr><th>logins</th><td>" << e(bench_counts_line(bench)) << "</td></tr></table>"
    << "<h3>Latency over time</h3>" << svg_timeline(timeline_points(bench), "bench-timeline");
  phase_charts(h, bench);
  field_table(h, "bench-config", "Configuration", sub(bench, "config"));
  field_table(h, "bench-counters", "Counters", sub(bench, "counters"));
  json other = json::object();
  for (const auto& [k, v] : bench.items())
    if (std::find(std::begin(known_fields), std::end(known_fields), k) == std::end(known_fields)) other[k] = v;
  field_table(h, "bench-other", "Other fields", other);
  h << "</section>";
  return h.str();
}

std::string bench_markdown(const json& bench) {
  std::ostringstream m;
  m << "### Benchmark\n\n" << escape_markdown(bench_config_line(bench)) << "\n\n";
  auto items = bench_result_items(bench);
  std::string head = "|", rule = "|", values = "|";
  for (const auto& [label, value] : items) {
    head += " " + escape_markdown(label) + " |";
    rule += "--:|";
    values += " " + escape_markdown(value) + " |";
  }
  m << head << "\n" << rule << "\n" << values << "\n\n" << escape_markdown(bench_counts_line(bench)) << "\n\n";
  auto rows = bench_phase_rows(bench);
  if (!rows.empty()) {
    m << "### Latency per phase (ms)\n\n| phase | count | p50 | p90 | p99 | p99.9 | max |\n"
         "|---|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& [name, s] : rows)
      m << "| " << escape_markdown(name) << " | " << s.count << " | " << fmt_ms(s.p50) << " | " << fmt_ms(s.p90)
        << " | " << fmt_ms(s.p99) << " | " << fmt_ms(s.p999) << " | " << fmt_ms(s.max) << " |\n";
    m << "\n";
  }
  return m.str();
}

std::string bench_console(const json& bench) {
  std::ostringstream o;
  o << "bench: " << clean(bench_config_line(bench), false) << "\n";
  for (const auto& [label, value] : bench_result_items(bench)) o << "  " << pad(label, 26) << value << "\n";
  o << "  " << clean(bench_counts_line(bench), false) << "\n";
  auto rows = bench_phase_rows(bench);
  if (rows.empty()) return o.str();
  std::size_t width = 12;
  for (auto& row : rows) {
    row.first = clean(row.first, false);
    width = std::max(width, row.first.size() + 2);
  }
  o << pad("phase", width);
  for (const char* col : {"count", "p50", "p90", "p99", "p99.9", "max"}) o << std::setw(10) << col;
  o << "  (ms)\n";
  for (const auto& [name, s] : rows) {
    o << pad(name, width) << std::setw(10) << s.count;
    for (double v : {s.p50, s.p90, s.p99, s.p999, s.max}) o << std::setw(10) << fmt_ms(v);
    o << "\n";
  }
  return o.str();
}

}  // namespace mh::report_detail
