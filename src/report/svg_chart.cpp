#include "report/svg_chart.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "report/report_model.hpp"

namespace mh::report_detail {
namespace {

constexpr int label_width = 110;  // phase names
constexpr int plot_width = 470;
constexpr int value_width = 150;  // "p99 1234.5 ms"
constexpr int bar_height = 7;
constexpr int row_height = 3 * bar_height + 10;

// A named value of a chart's data points, with its CSS class.
template <class Point>
struct series {
  const char* name;
  const char* css;
  double Point::*field;
};
constexpr series<latency_summary> bar_series[] = {{"p50", "p50", &latency_summary::p50},
                                                  {"p90", "p90", &latency_summary::p90},
                                                  {"p99", "p99", &latency_summary::p99}};

std::string px(double v) { return fmt_fixed(v, 1); }

// A log scale over the whole decades 10^lo … 10^hi (ms) that cover every positive value
// added, so a 5 s timeout and a 40 µs probe are both readable; 1 … 10 ms when there is none.
class log_scale {
 public:
  void add(double v) {
    if (v <= 0) return;
    smallest_ = smallest_ == 0 ? v : std::min(smallest_, v);
    largest_ = std::max(largest_, v);
  }
  int lo() const { return static_cast<int>(std::floor(std::log10(largest_ > 0 ? smallest_ : 1))); }
  int hi() const {
    return std::max(lo() + 1, static_cast<int>(std::ceil(std::log10(largest_ > 0 ? largest_ : 1))));
  }
  // Where v sits, 0 (10^lo, or v <= 0) … 1 (10^hi).
  double pos(double v) const {
    double p = v > 0 ? (std::log10(v) - lo()) / (hi() - lo()) : 0;
    return std::clamp(p, 0.0, 1.0);
  }
  // Where the decade 10^d sits, and its label: "0.01 ms", "1 ms", "1000 ms".
  double decade_pos(int d) const { return static_cast<double>(d - lo()) / (hi() - lo()); }
  static std::string label(int d) { return fmt_fixed(std::pow(10.0, d), std::max(0, -d)) + " ms"; }

 private:
  double smallest_ = 0, largest_ = 0;
};

void open_svg(std::ostringstream& s, const char* cls, std::string_view id, int w, int h,
              const std::string& title) {
  s << "<svg class=\"" << cls << "\" id=\""
    << escape_markup(id) << "\" viewBox=\"0 0 " << w << " " << h << "\" width=\"" << w
    << "\" height=\"" << h << "\" role=\"img\" aria-label=\"" << escape_markup(title)
    << "\"><title>" << escape_markup(title) << "</title>";
}

}  // namespace

std::string svg_phase_bars(const std::vector<std::pair<std::string, latency_summary>>& phases,
                           std::string_view id) {
  log_scale scale;
  for (const auto& [_, s] : phases)
    for (const auto& b : bar_series) scale.add(s.*b.field);
  auto x_of = [&](double v) { return scale.pos(v) * plot_width; };
  int height = static_cast<int>(phases.size()) * row_height + 40;
  int width = label_width + plot_width + value_width;
  std::ostringstream s;
  open_svg(s, "latency-chart", id, width, height, "p50, p90 and p99 latency per phase (ms, log scale)");
  int legend_x = label_width;
  for (const auto& b : bar_series) {
    s << "<rect class=\"" << b.css << "\" x=\"" << legend_x << "\" y=\"4\" width=\"10\" height=\"10\"/>"
      << "<text x=\"" << legend_x + 14 << "\" y=\"13\">" << b.name << "</text>";
    legend_x += 60;
  }
  int top = 22, bottom = top + static_cast<int>(phases.size()) * row_height;
  for (int d = scale.lo(); d <= scale.hi(); ++d) {
    double x = label_width + scale.decade_pos(d) * plot_width;
    s << "<line class=\"grid\" x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << top
      << "\" y2=\"" << bottom << "\"/><text x=\"" << px(x) << "\" y=\"" << bottom + 14
      << "\" text-anchor=\"middle\">" << log_scale::label(d) << "</text>";
  }
  int y = top;
  for (const auto& [name, sum] : phases) {
    s << "<g class=\"phase\" data-phase=\"" << escape_markup(name) << "\"><text x=\"0\" y=\""
      << y + row_height / 2 << "\">" << escape_markup(name) << "</text>";
    for (std::size_t k = 0; k < std::size(bar_series); ++k) {
      double v = sum.*bar_series[k].field;
      int by = y + static_cast<int>(k) * bar_height + 2;
      s << "<rect class=\"" << bar_series[k].css << "\" x=\"" << label_width << "\" y=\"" << by
        << "\" width=\"" << px(std::max(1.0, x_of(v))) << "\" height=\"" << bar_height - 1
        << "\"><title>" << escape_markup(name) << " " << bar_series[k].name << " " << fmt_ms(v)
        << " ms</title></rect>";
    }
    s << "<text class=\"value\" x=\"" << label_width + plot_width + 6 << "\" y=\""
      << y + row_height / 2 << "\">" << fmt_ms(sum.p50) << " / " << fmt_ms(sum.p90) << " / "
      << fmt_ms(sum.p99) << " ms</text></g>";
    y += row_height;
  }
  s << "</svg>";
  return s.str();
}

std::string svg_histogram(const histogram& h, std::string_view phase, std::string_view id) {
  constexpr int bins = 48, width = 360, height = 150, left = 8, bottom = 128, plot_h = 100;
  constexpr double bin_w = static_cast<double>(width - 2 * left) / bins;
  std::ostringstream s;
  open_svg(s, "histogram-chart", id, width, height,
           std::string(phase) + " latency distribution (ms, log scale)");
  s << "<text x=\"" << left << "\" y=\"12\">" << escape_markup(phase) << " (n=" << h.count()
    << ")</text>";
  if (h.empty()) {
    s << "<text x=\"" << left << "\" y=\"60\">no samples</text></svg>";
    return s.str();
  }
  // Log-spaced bins over [lo, hi] in ns (at least one decade wide so a tight
  // distribution still shows its shape).
  double lo = std::max(1.0, static_cast<double>(h.min()));
  double hi = std::max(lo * 10, static_cast<double>(h.max()) + 1);
  double span = std::log(hi / lo);
  auto bin_of = [&](double v) {
    double pos = std::log(std::max(v, lo) / lo) / span * bins;
    return std::clamp(static_cast<int>(pos), 0, bins - 1);
  };
  std::vector<std::uint64_t> counts(bins, 0);
  h.for_each_bucket([&](std::size_t index, std::uint64_t n) {
    double mid = (static_cast<double>(histogram::bucket_lowest(index)) +
                  static_cast<double>(histogram::bucket_highest(index))) / 2;
    counts[static_cast<std::size_t>(bin_of(mid))] += n;
  });
  std::uint64_t peak = *std::max_element(counts.begin(), counts.end());
  for (int b = 0; b < bins; ++b) {
    if (!counts[static_cast<std::size_t>(b)]) continue;
    double bh = std::max(1.0, static_cast<double>(counts[static_cast<std::size_t>(b)]) /
                                  static_cast<double>(peak) * plot_h);
    s << "<rect class=\"bin\" x=\"" << px(left + b * bin_w) << "\" y=\"" << px(bottom - bh)
      << "\" width=\"" << px(bin_w - 1) << "\" height=\"" << px(bh) << "\"><title>"
      << counts[static_cast<std::size_t>(b)] << "</title></rect>";
  }
  for (auto [q, cls] : {std::pair{50.0, "p50"}, std::pair{99.0, "p99"}}) {
    double v = static_cast<double>(h.percentile(q));
    double x = left + (bin_of(v) + 0.5) * bin_w;
    s << "<line class=\"mark " << cls << "\" x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\""
      << bottom - plot_h << "\" y2=\"" << bottom << "\"><title>" << cls << " " << fmt_ms(v / 1e6)
      << " ms</title></line>";
  }
  s << "<line class=\"axis\" x1=\"" << left << "\" x2=\"" << width - left << "\" y1=\"" << bottom
    << "\" y2=\"" << bottom << "\"/><text x=\"" << left << "\" y=\"" << bottom + 16 << "\">"
    << fmt_ms(lo / 1e6) << " ms</text><text x=\"" << width - left << "\" y=\"" << bottom + 16
    << "\" text-anchor=\"end\">" << fmt_ms(hi / 1e6) << " ms</text></svg>";
  return s.str();
}

namespace {

// Seconds between labels on the time axis: at most about ten labels.
std::uint64_t time_step(std::uint64_t span) {
  constexpr std::uint64_t steps[] = {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600};
  for (std::uint64_t step : steps)
    if (span / step <= 10) return step;
  return (span / 10 / 3600 + 1) * 3600;
}

// The smallest of 1, 2, 5 x 10^k that is >= v (at least 1).
double nice_ceiling(double v) {
  if (v <= 1) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

constexpr series<timeline_point> timeline_series[] = {{"p50", "tl-p50", &timeline_point::p50},
                                                      {"p99", "tl-p99", &timeline_point::p99},
                                                      {"max", "tl-max", &timeline_point::max}};

}  // namespace

std::string svg_timeline(const std::vector<timeline_point>& points, std::string_view id) {
  constexpr int width = 760, height = 290, left = 64, right = 70, top = 30, bottom = 36;
  constexpr int plot_w = width - left - right, plot_h = height - top - bottom;
  constexpr int base = top + plot_h;
  std::ostringstream s;
  open_svg(s, "timeline-chart", id, width, height,
           "latency over time: p50, p99 and max per second (ms, log scale) and logins per second");
  if (points.empty()) {
    s << "<text x=\"" << left << "\" y=\"60\">no timeline</text></svg>";
    return s.str();
  }
  const std::uint64_t last = points.back().t;
  const double slot_w = plot_w / (static_cast<double>(last) + 1);
  auto x_mid = [&](std::uint64_t t) { return left + (static_cast<double>(t) + 0.5) * slot_w; };

  // Right axis: logins per second, linear from 0.
  std::uint64_t busiest = 0;
  for (const auto& p : points) busiest = std::max(busiest, p.ok + p.failed);
  const double peak = nice_ceiling(static_cast<double>(busiest) * 1.2);  // headroom for the lines
  auto y_count = [&](double n) { return base - n / peak * plot_h; };
  // Left axis: latency.
  log_scale scale;
  for (const auto& p : points)
    if (p.has_latency)
      for (const auto& l : timeline_series) scale.add(p.*l.field);
  auto y_ms = [&](double v) { return base - scale.pos(v) * plot_h; };

  // Legend.
  int lx = left;
  for (auto [css, label] : {std::pair{"tl-ok", "logins/s"}, std::pair{"tl-failed", "failed/s"}}) {
    s << "<rect class=\"" << css << "\" x=\"" << lx << "\" y=\"6\" width=\"10\" height=\"10\"/><text x=\""
      << lx + 14 << "\" y=\"15\">" << label << "</text>";
    lx += 80;
  }
  for (const auto& l : timeline_series) {
    s << "<line class=\"tl-line " << l.css << "\" x1=\"" << lx << "\" x2=\"" << lx + 16
      << "\" y1=\"11\" y2=\"11\"/><text x=\"" << lx + 20 << "\" y=\"15\">" << l.name << "</text>";
    lx += 60;
  }
  // Axes and grid: a line per latency decade (left labels), 0 / half / peak logins (right labels).
  for (int d = scale.lo(); d <= scale.hi(); ++d) {
    double y = base - scale.decade_pos(d) * plot_h;
    s << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << px(y)
      << "\" y2=\"" << px(y) << "\"/><text x=\"" << left - 4 << "\" y=\"" << px(y + 4)
      << "\" text-anchor=\"end\">" << log_scale::label(d) << "</text>";
  }
  for (double n : {0.0, peak / 2, peak})
    s << "<text x=\"" << left + plot_w + 4 << "\" y=\"" << px(y_count(n) + 4) << "\">"
      << fmt_fixed(n, n == std::floor(n) ? 0 : 1) << "/s</text>";
  s << "<line class=\"axis\" x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << base
    << "\" y2=\"" << base << "\"/>";
  const std::uint64_t step = time_step(last);
  for (std::uint64_t t = 0;; t += step) {
    s << "<text x=\"" << px(x_mid(t)) << "\" y=\"" << base + 14 << "\" text-anchor=\"middle\">" << t
      << " s</text>";
    if (last - t < step) break;
  }
  s << "<text x=\"" << left + plot_w << "\" y=\"" << height - 4
    << "\" text-anchor=\"end\">seconds into the measured window</text>";

  // Bars: completed logins per second, failures stacked on top.
  const double bar_w = std::max(0.5, slot_w * 0.8);
  for (const auto& p : points) {
    double x = x_mid(p.t) - bar_w / 2;
    s << "<g class=\"second\" data-t=\"" << p.t << "\"><title>" << p.t << " s: " << p.ok << " ok, "
      << p.failed << " failed";
    if (p.has_latency)
      s << "; p50 " << fmt_ms(p.p50) << " ms, p99 " << fmt_ms(p.p99) << " ms, max " << fmt_ms(p.max) << " ms";
    s << "</title>";
    double y_ok = y_count(static_cast<double>(p.ok));
    double y_all = y_count(static_cast<double>(p.ok + p.failed));
    if (p.ok)
      s << "<rect class=\"tl-ok\" x=\"" << px(x) << "\" y=\"" << px(y_ok) << "\" width=\"" << px(bar_w)
        << "\" height=\"" << px(base - y_ok) << "\"/>";
    if (p.failed)
      s << "<rect class=\"tl-failed\" x=\"" << px(x) << "\" y=\"" << px(y_all) << "\" width=\""
        << px(bar_w) << "\" height=\"" << px(y_ok - y_all) << "\"/>";
    s << "</g>";
  }
  // Lines, broken where a second is missing or has no latency; a lone second is a dot.
  for (const auto& l : timeline_series) {
    std::vector<std::pair<double, double>> run;
    auto flush = [&] {
      if (run.size() == 1)
        s << "<circle class=\"tl-line " << l.css << "\" cx=\"" << px(run[0].first) << "\" cy=\""
          << px(run[0].second) << "\" r=\"1.5\"/>";
      if (run.size() > 1) {
        s << "<polyline class=\"tl-line " << l.css << "\" points=\"";
        for (std::size_t k = 0; k < run.size(); ++k)
          s << (k ? " " : "") << px(run[k].first) << "," << px(run[k].second);
        s << "\"/>";
      }
      run.clear();
    };
    for (std::size_t k = 0; k < points.size(); ++k) {
      const timeline_point& p = points[k];
      if (!p.has_latency || (k > 0 && p.t != points[k - 1].t + 1)) flush();
      if (p.has_latency) run.emplace_back(x_mid(p.t), y_ms(p.*l.field));
    }
    flush();
  }
  s << "</svg>";
  return s.str();
}

std::string html_latency_table(const std::vector<std::pair<std::string, latency_summary>>& rows) {
  std::ostringstream h;
  h << "<table class=\"latency-table\"><thead><tr><th>phase</th><th>count</th><th>min</th>"
       "<th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th>"
       "</tr></thead><tbody>";
  for (const auto& [name, s] : rows) {
    h << "<tr data-phase=\"" << escape_markup(name, true) << "\"><td>" << escape_markup(name)
      << "</td><td class=\"num\">" << s.count << "</td>";
    for (double v : {s.min, s.mean, s.p50, s.p90, s.p95, s.p99, s.p999, s.max})
      h << "<td class=\"num\">" << fmt_ms(v) << "</td>";
    h << "</tr>";
  }
  h << "</tbody></table>";
  return h.str();
}

}  // namespace mh::report_detail
