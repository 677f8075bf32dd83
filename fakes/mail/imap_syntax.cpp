#include "mail/imap_syntax.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace mh::fake::imap_syntax {
namespace {

std::size_t body_start(const std::string& m) {
  auto p = m.find("\r\n\r\n");
  return p == std::string::npos ? m.size() : p + 4;
}

// "Name <addr@host>" or "<addr@host>" or "addr@host" -> (NIL NIL "addr" "host") form.
std::string address_list(const std::string& value) {
  if (value.empty()) return "NIL";
  std::string v = value;
  std::string name;
  auto lt = v.find('<');
  if (lt != std::string::npos) {
    name = v.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    auto gt = v.find('>', lt);
    v = v.substr(lt + 1, gt == std::string::npos ? std::string::npos : gt - lt - 1);
  }
  auto at = v.find('@');
  std::string mbox = at == std::string::npos ? v : v.substr(0, at);
  std::string host = at == std::string::npos ? "" : v.substr(at + 1);
  return "((" + (name.empty() ? std::string("NIL") : quote(name)) + " NIL " + quote(mbox) + " " +
         (host.empty() ? std::string("NIL") : quote(host)) + "))";
}

std::string nstring(const std::string& v) { return v.empty() ? "NIL" : quote(v); }

}  // namespace

std::optional<std::vector<std::string>> split_args(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    if (s[i] == '"') {
      std::string v;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          v += s[i + 1];
          i += 2;
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          v += s[i++];
        }
      }
      if (!closed) return std::nullopt;
      out.push_back(std::move(v));
      continue;
    }
    std::size_t start = i;
    int depth = 0;
    bool in_quote = false;
    while (i < s.size()) {
      char c = s[i];
      if (in_quote) {
        if (c == '\\') ++i;
        else if (c == '"') in_quote = false;
      } else if (c == '"') {
        in_quote = true;
      } else if (c == '(' || c == '[') {
        ++depth;
      } else if (c == ')' || c == ']') {
        if (--depth < 0) return std::nullopt;
      } else if (c == ' ' && depth == 0) {
        break;
      }
      ++i;
    }
    if (depth != 0 || in_quote) return std::nullopt;
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<std::vector<std::uint32_t>> sequence_set(std::string_view s, std::uint32_t max) {
  std::vector<std::uint32_t> out;
  auto number = [&](std::string_view n) -> std::optional<std::uint32_t> {
    if (n == "*") return max;
    if (n.empty() || n.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : n) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v == 0 || v > 0xffffffffu) return std::nullopt;
    return static_cast<std::uint32_t>(v);
  };
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t j = s.find(',', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view part = s.substr(i, j - i);
    auto colon = part.find(':');
    if (colon == std::string_view::npos) {
      auto n = number(part);
      if (!n) return std::nullopt;
      out.push_back(*n);
    } else {
      auto a = number(part.substr(0, colon)), b = number(part.substr(colon + 1));
      if (!a || !b) return std::nullopt;
      auto lo = std::min(*a, *b), hi = std::max(*a, *b);
      if (hi - lo > 1000000) hi = lo + 1000000;  // bounded: no absurd expansions
      // ... also in all: "1:4294967295,2:4294967295,..." would ask for gigabytes.
      for (std::uint64_t v = lo; v <= hi && out.size() <= 1000000; ++v)
        out.push_back(static_cast<std::uint32_t>(v));
    }
    i = j + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string quote(std::string_view s) {
  bool literal = s.find_first_of("\r\n\"\\") != std::string_view::npos &&
                 (s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos);
  if (literal) return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string header_of(const std::string& m) { return m.substr(0, body_start(m)); }
std::string text_of(const std::string& m) { return m.substr(body_start(m)); }

std::string header_field(const std::string& m, std::string_view name) {
  std::string hdr = header_of(m);
  std::string want = ascii_upper(name) + ":";
  std::size_t i = 0;
  while (i < hdr.size()) {
    std::size_t e = hdr.find("\r\n", i);
    if (e == std::string::npos) e = hdr.size();
    std::string line = hdr.substr(i, e - i);
    if (ascii_upper(line.substr(0, want.size())) == want) {
      std::string v = line.substr(want.size());
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
    i = e + 2;
  }
  return {};
}

std::string header_fields(const std::string& m, const std::vector<std::string>& names, bool negate) {
  std::string hdr = header_of(m), out;
  std::size_t i = 0;
  while (i < hdr.size()) {
    std::size_t e = hdr.find("\r\n", i);
    if (e == std::string::npos) e = hdr.size();
    std::string line = hdr.substr(i, e - i);
    i = e + 2;
    if (line.empty()) break;
    auto colon = line.find(':');
    std::string field = ascii_upper(line.substr(0, colon));
    bool listed = std::any_of(names.begin(), names.end(),
                              [&](const std::string& n) { return ascii_upper(n) == field; });
    if (listed != negate) out += line + "\r\n";
  }
  return out + "\r\n";
}

std::string envelope(const std::string& m) {
  return "(" + nstring(header_field(m, "Date")) + " " + nstring(header_field(m, "Subject")) + " " +
         address_list(header_field(m, "From")) + " " + address_list(header_field(m, "From")) + " " +
         address_list(header_field(m, "From")) + " " + address_list(header_field(m, "To")) +
         " NIL NIL NIL " + nstring(header_field(m, "Message-ID")) + ")";
}

std::string bodystructure(const std::string& m) {
  std::string text = text_of(m);
  std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" " +
         std::to_string(text.size()) + " " + std::to_string(lines) + " NIL NIL NIL NIL)";
}

std::string internal_date(std::int64_t t) { return format_utc(t, "%d-%b-%Y %H:%M:%S +0000"); }

}  // namespace mh::fake::imap_syntax
