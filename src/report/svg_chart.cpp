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

struct series {
  const char* name;
  const char* css;
  double latency_summary::*field;
};
constexpr series bar_series[] = {{"p50", "p50", &latency_summary::p50},
                                 {"p90", "p90", &latency_summary::p90},
                                 {"p99", "p99", &latency_summary::p99}};

std::string px(double v) { return fmt_fixed(v, 1); }

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
  // Log scale over whole decades, so a 5 s timeout and a 40 µs probe are both readable.
  double smallest = 0, largest = 0;
  for (const auto& [_, s] : phases) {
    for (const auto& b : bar_series) {
      double v = s.*b.field;
      if (v <= 0) continue;
      smallest = smallest == 0 ? v : std::min(smallest, v);
      largest = std::max(largest, v);
    }
  }
  if (largest <= 0) smallest = largest = 1;
  int lo = static_cast<int>(std::floor(std::log10(smallest)));
  int hi = std::max(lo + 1, static_cast<int>(std::ceil(std::log10(largest))));
  auto x_of = [&](double v) {
    double pos = v > 0 ? (std::log10(v) - lo) / (hi - lo) : 0;
    return std::clamp(pos, 0.0, 1.0) * plot_width;
  };
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
  for (int d = lo; d <= hi; ++d) {
    double x = label_width + static_cast<double>(d - lo) / (hi - lo) * plot_width;
    s << "<line class=\"grid\" x1=\"" << px(x) << "\" x2=\"" << px(x) << "\" y1=\"" << top
      << "\" y2=\"" << bottom << "\"/><text x=\"" << px(x) << "\" y=\"" << bottom + 14
      << "\" text-anchor=\"middle\">" << fmt_fixed(std::pow(10.0, d), std::max(0, -d)) << " ms</text>";
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

}  // namespace mh::report_detail
