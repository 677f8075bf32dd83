#include "report/report_model.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/phase.hpp"
#include "report/render.hpp"

namespace mh::report_detail {
namespace {

const json& null_json() {
  static const json n;
  return n;
}

const json& empty_array() {
  static const json a = json::array();
  return a;
}

// Length of the valid UTF-8 sequence at s[i] and its code point, or 0 if invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? b : len == 2 ? (b & 0x1Fu) : len == 3 ? (b & 0x0Fu) : (b & 0x07u);
  for (std::size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c >> 6) != 0x2) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

void fail(const std::string& pointer, const std::string& what) {
  throw report_error(pointer.empty() ? what : pointer + ": " + what);
}

std::string str(const json& j, std::string_view key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double num(const json& j, std::string_view key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::uint64_t count(const json& j, std::string_view key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<std::uint64_t>();
  // JSON built in C++ holds non-negative ints as signed.
  return it->is_number_integer() && it->get<std::int64_t>() > 0 ? it->get<std::uint64_t>() : 0;
}

bool flag(const json& j, std::string_view key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

const json& sub(const json& j, std::string_view key) {
  if (!j.is_object()) return null_json();
  auto it = j.find(key);
  return it != j.end() ? *it : null_json();
}

const json& items(const json& j, std::string_view key) {
  const json& v = sub(j, key);
  return v.is_array() ? v : empty_array();
}

std::string as_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string clean(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t len = utf8_sequence(s, i, cp);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (cp == '\n' || cp == '\t') {
      out += keep_newlines ? static_cast<char>(cp) : ' ';
    } else if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F) && cp != 0xFFFE &&
               cp != 0xFFFF) {
      out.append(s.substr(i, len));
    }  // other control characters (including '\r' and ESC) are dropped
    i += len;
  }
  return out;
}

namespace {

// `text` with each character replaced by what `replace` gives for it (nothing: kept).
template <class F>
std::string replace_chars(const std::string& text, F replace) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char ch : text) {
    if (std::optional<std::string> r = replace(ch)) out += *r;
    else out += ch;
  }
  return out;
}

std::optional<std::string> html_entity(char ch) {
  switch (ch) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    default: return std::nullopt;
  }
}

}  // namespace

std::string escape_markup(std::string_view s, bool attribute) {
  return replace_chars(clean(s), [attribute](char ch) -> std::optional<std::string> {
    switch (ch) {
      case '"': return "&quot;";
      case '\'': return "&#39;";
      case '\n': return attribute ? std::optional<std::string>("&#10;") : std::nullopt;
      case '\t': return attribute ? std::optional<std::string>("&#9;") : std::nullopt;
      default: return html_entity(ch);
    }
  });
}

std::string escape_markdown(std::string_view s) {
  static constexpr std::string_view punctuation = "\\`*_[]|~#!";
  return replace_chars(clean(s, false), [](char ch) -> std::optional<std::string> {
    if (punctuation.find(ch) != std::string_view::npos) return std::string{'\\', ch};
    return html_entity(ch);
  });
}

std::string markdown_code(std::string_view s) {
  std::string c = clean(s, false);
  std::string text;
  std::size_t run = 0, longest = 0;
  for (char ch : c) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (ch == '|') text += '\\';  // a table cell ends at an unescaped '|', even in code
    text += ch;
  }
  if (text.empty()) return {};
  std::string fence(longest + 1, '`');
  bool pad = text.front() == '`' || text.back() == '`';
  return fence + (pad ? " " : "") + text + (pad ? " " : "") + fence;
}

std::string fmt_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string fmt_ms(double ms) {
  return fmt_fixed(ms, ms < 1 ? 3 : ms < 100 ? 2 : ms < 10000 ? 1 : 0);
}

std::string fmt_seconds(double s) { return fmt_fixed(s, s < 100 ? 2 : 0) + " s"; }

namespace {

std::string counted(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string outcome_counts(const json& summary) {
  return std::to_string(count(summary, "passed")) + " passed, " +
         std::to_string(count(summary, "failed")) + " failed, " +
         counted(count(summary, "errors"), "error", "errors") + ", " +
         std::to_string(count(summary, "skipped")) + " skipped";
}

std::string record_counts(const json& summary) {
  return counted(count(summary, "records"), "record", "records") + " in " +
         counted(count(summary, "scenarios"), "scenario", "scenarios");
}

std::optional<double> parse_timestamp(std::string_view s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, consumed = 0;
  std::string text(s);
  // Field widths bound every number, so the conversions cannot overflow.
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,  // NOLINT(cert-err34-c)
                  &consumed) != 6 || consumed != 19)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t i = 19;
  double frac = 0, scale = 0.1;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) frac += (s[i] - '0') * scale;  // NOLINT(cert-flp30-c): bounded by the digits
  }
  long offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
    offset = 0;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;  // NOLINT(cert-err34-c): widths bound it
    offset = (s[i] == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
  } else {
    return std::nullopt;
  }
  // Days since 1970-01-01 (H. Hinnant's days_from_civil).
  long yy = y - (mo <= 2);
  long era = (yy >= 0 ? yy : yy - 399) / 400;
  long yoe = yy - era * 400;
  long doy = (153L * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long days = era * 146097 + doe - 719468;
  return static_cast<double>(days * 86400L + h * 3600L + mi * 60L + sec - offset) + frac;
}

std::string record_variant(const json& rec) {
  std::string out;
  for (const char* key : {"protocol", "mailbox", "mechanism"}) {
    std::string v = str(rec, key);
    if (v.empty()) continue;
    if (!out.empty()) out += ' ';
    out += v;
  }
  return out;
}

std::string check_text(const json& check) {
  std::string msg = str(check, "message");
  if (!msg.empty()) return msg;
  if (check.contains("expected") || check.contains("actual"))
    return "expected " + as_text(sub(check, "expected")) + ", got " + as_text(sub(check, "actual"));
  return flag(check, "ok") ? "ok" : "failed";
}

failure_info describe_failure(const json& rec) {
  failure_info f;
  for (const auto& c : items(rec, "checks")) {
    if (flag(c, "ok")) continue;
    f.message = str(c, "name") + ": " + check_text(c);
    break;
  }
  for (const auto& e : items(rec, "errors")) {
    if (f.error_class.empty()) f.error_class = str(e, "class");
    if (f.message.empty()) {
      f.message = str(e, "message");
      if (f.message.empty())
        f.message = str(e, "class") + " " + str(e, "code") +
                    (str(e, "phase").empty() ? "" : " in phase " + str(e, "phase"));
    }
    if (f.reply.empty()) f.reply = str(e, "reply");
  }
  if (f.message.empty() && str(rec, "outcome") == "skip") f.message = str(rec, "skip_reason");
  const auto& findings = items(rec, "findings");
  if (!findings.empty()) {
    f.finding = str(findings[0], "title");
    f.step = str(findings[0], "step");
    f.remediation = str(findings[0], "remediation");
  }
  return f;
}

namespace {

std::vector<std::string> order_phase_names(std::vector<std::string> names) {
  // Login order; token acquisition first (whether or not core/phase.hpp lists it).
  std::vector<std::string_view> order(phase_names.begin(), phase_names.end());
  if (std::find(order.begin(), order.end(), "token") == order.end()) order.insert(order.begin(), "token");
  order.push_back("total");
  auto rank = [&](const std::string& n) {
    auto it = std::find(order.begin(), order.end(), n);
    return static_cast<std::size_t>(it - order.begin());
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    auto ra = rank(a), rb = rank(b);
    return ra != rb ? ra < rb : a < b;
  });
  return names;
}

}  // namespace

std::vector<std::string> ordered_phases(const json& phases) {
  std::vector<std::string> names;
  if (phases.is_object())
    for (const auto& [name, _] : phases.items()) names.push_back(name);
  return order_phase_names(std::move(names));
}

latency_summary phase_summary(const json& entry) {
  const json& h = sub(entry, "histogram");
  if (h.is_object()) return latency_summary::of(histogram::from_json(h));
  const json& s = sub(entry, "summary");
  latency_summary out;
  out.count = count(s, "count");
  out.min = num(s, "min");
  out.mean = num(s, "mean");
  out.p50 = num(s, "p50");
  out.p90 = num(s, "p90");
  out.p95 = num(s, "p95");
  out.p99 = num(s, "p99");
  out.p999 = num(s, "p999");
  out.max = num(s, "max");
  return out;
}

std::vector<std::pair<std::string, histogram>> aggregate_phases(const json& records) {
  std::map<std::string, histogram> by_name;
  for (const auto& rec : records) {
    const json& phases = sub(rec, "phases");
    if (!phases.is_object()) continue;
    for (const auto& [name, entry] : phases.items()) {
      const json& h = sub(entry, "histogram");
      if (h.is_object()) by_name[name].merge(histogram::from_json(h));
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, _] : by_name) names.push_back(name);
  std::vector<std::pair<std::string, histogram>> out;
  for (auto& n : order_phase_names(std::move(names))) out.emplace_back(n, std::move(by_name[n]));
  return out;
}

}  // namespace mh::report_detail
