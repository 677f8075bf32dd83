// The bench section of report.json: derived results, phase order, timeline, display texts.
#include "report/bench_report.hpp"

#include <algorithm>
#include <cmath>

#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

nlohmann::json bench_results(const nlohmann::json& counters, double window_s) {
  using report_detail::count;
  std::uint64_t ok = count(counters, "ok"), attempts = count(counters, "attempts");
  auto per_login = [ok](double v) -> nlohmann::json {
    if (ok == 0) return nullptr;
    return v / static_cast<double>(ok);
  };
  const nlohmann::json& server = report_detail::sub(counters, "server_cpu_ns");
  return {
      {"logins_per_s", window_s > 0 ? static_cast<double>(ok) / window_s : 0.0},
      {"error_rate",
       attempts ? static_cast<double>(count(counters, "failed")) / static_cast<double>(attempts) : 0.0},
      {"client_cpu_per_login_us", per_login(static_cast<double>(count(counters, "client_cpu_ns")) / 1000)},
      {"server_cpu_per_login_us",
       server.is_number() ? per_login(static_cast<double>(count(counters, "server_cpu_ns")) / 1000)
                          : nlohmann::json(nullptr)},
      {"token_requests_per_login", per_login(static_cast<double>(count(counters, "token_requests")))},
  };
}

namespace report_detail {
namespace {

constexpr std::string_view bench_phases[] = {
    "total",       "token", "queue",       "resolve", "connect", "tls",  "greeting", "capability", "starttls",
    "tls_upgrade", "capability2", "auth", "capability3", "probe",   "fetch",   "send", "logout"};

// About three significant digits, never an exponent: 1235, 12.3, 0.500, 0.000020.
std::string fmt_sig(double v) {
  if (v == 0 || !std::isfinite(v)) return fmt_fixed(v, 0);
  int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  return fmt_fixed(v, std::clamp(2 - magnitude, 0, 6));
}

// Settings as given: 10, 2.5, 250.
std::string fmt_setting(double v) {
  return v == std::floor(v) && std::fabs(v) < 1e15 ? fmt_fixed(v, 0) : fmt_sig(v);
}

std::string or_na(const json& v, const char* unit = "") {
  return v.is_number() ? fmt_sig(v.get<double>()) + unit : "n/a";
}

}  // namespace

bool is_bench_report(const json& report) {
  return str(report, "command") == "bench" && sub(report, "bench").is_object();
}

bool shows_bench_phases(const json& report) {
  const json& phases = sub(sub(report, "bench"), "phases");
  return is_bench_report(report) && phases.is_object() && !phases.empty();
}

std::vector<std::string> bench_phase_order(const json& phases) {
  std::vector<std::string> out, rest;
  if (!phases.is_object()) return out;
  for (auto name : bench_phases)
    if (phases.contains(name)) out.emplace_back(name);
  for (const auto& [name, _] : phases.items())
    if (std::find(std::begin(bench_phases), std::end(bench_phases), name) == std::end(bench_phases))
      rest.push_back(name);
  std::sort(rest.begin(), rest.end());
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

std::vector<std::pair<std::string, latency_summary>> bench_phase_rows(const json& bench) {
  const json& phases = sub(bench, "phases");
  std::vector<std::pair<std::string, latency_summary>> rows;
  for (const auto& name : bench_phase_order(phases)) rows.emplace_back(name, phase_summary(phases[name]));
  return rows;
}

std::vector<std::pair<std::string, std::string>> bench_result_items(const json& bench) {
  json r = sub(bench, "results");
  if (!r.is_object()) r = bench_results(sub(bench, "counters"), num(bench, "window_s"));
  const json& rate = sub(r, "error_rate");
  return {{"logins/s", or_na(sub(r, "logins_per_s"))},
          {"error rate", rate.is_number() ? fmt_sig(rate.get<double>() * 100) + " %" : "n/a"},
          {"client CPU per login", or_na(sub(r, "client_cpu_per_login_us"), " µs")},
          {"server CPU per login", or_na(sub(r, "server_cpu_per_login_us"), " µs")},
          {"token requests per login", or_na(sub(r, "token_requests_per_login"))}};
}

std::string bench_config_line(const json& bench) {
  const json& c = sub(bench, "config");
  std::string out = str(c, "protocol") + " " + str(c, "mechanism");
  std::string model = str(c, "model");
  if (model == "closed") {
    out += ", closed model, " + as_text(sub(c, "concurrency")) + " workers";
  } else if (model == "open") {
    out += ", open model, " + fmt_setting(num(c, "rate")) + " logins/s offered";
    if (num(c, "ramp_s") > 0) out += " (ramp " + fmt_setting(num(c, "ramp_s")) + " s)";
    if (sub(c, "max_inflight").is_number()) out += ", at most " + as_text(sub(c, "max_inflight")) + " in flight";
  }
  out += ", " + fmt_setting(num(c, "duration_s")) + " s";
  if (num(c, "warmup_s") > 0) out += " after " + fmt_setting(num(c, "warmup_s")) + " s warm-up";
  if (!str(c, "token").empty()) out += ", token " + str(c, "token");
  if (!str(c, "tls").empty()) out += ", TLS " + str(c, "tls");
  if (flag(c, "tls_resumption")) out += " with resumption";
  if (!str(c, "key_type").empty()) out += " (" + str(c, "key_type") + ")";
  if (!str(c, "target").empty()) out += ", target " + str(c, "target");
  return out;
}

std::string bench_counts_line(const json& bench) {
  const json& c = sub(bench, "counters");
  std::string out = std::to_string(count(c, "ok")) + " ok, " + std::to_string(count(c, "failed")) +
                    " failed of " + std::to_string(count(c, "attempts")) + " logins in " +
                    fmt_seconds(num(bench, "window_s"));
  if (c.contains("late_starts")) out += ", " + std::to_string(count(c, "late_starts")) + " late starts";
  if (c.contains("resumed")) out += ", " + std::to_string(count(c, "resumed")) + " TLS sessions resumed";
  return out;
}

std::map<std::uint64_t, timeline_second> timeline_by_second(const json& timeline) {
  std::map<std::uint64_t, timeline_second> out;
  if (!timeline.is_array()) return out;
  for (const auto& e : timeline) {
    if (!e.is_object()) continue;
    timeline_second& s = out[count(e, "t")];
    s.ok += count(e, "ok");
    s.failed += count(e, "failed");
    const json& h = sub(e, "histogram");
    try {
      if (h.is_object()) s.latency.merge(histogram::from_json(h));
      else s.has_histogram = false;
    } catch (const histogram_error&) {
      s.has_histogram = false;
    }
  }
  return out;
}

}  // namespace report_detail
}  // namespace mh
