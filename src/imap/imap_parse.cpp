#include "imap/imap_parse.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace mh::imap {
namespace {

void add_words(std::string_view s, std::vector<std::string>& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) {
      std::string w = ascii_upper(s.substr(i, j - i));
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
    }
    i = j;
  }
}

}  // namespace

std::optional<status_line> parse_status(std::string_view line) {
  auto sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return std::nullopt;
  status_line out;
  out.tag = line.substr(0, sp);
  std::string_view rest = line.substr(sp + 1);
  auto sp2 = rest.find(' ');
  std::string_view word = rest.substr(0, sp2);
  out.text = sp2 == std::string_view::npos ? std::string_view{} : rest.substr(sp2 + 1);
  if (iequals(word, "OK")) out.st = status::ok;
  else if (iequals(word, "NO")) out.st = status::no;
  else if (iequals(word, "BAD")) out.st = status::bad;
  else if (iequals(word, "BYE")) out.st = status::bye;
  else if (iequals(word, "PREAUTH")) out.st = status::preauth;
  else out.text = rest;
  return out;
}

std::optional<std::size_t> trailing_literal(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view num = line.substr(open + 1, line.size() - open - 2);
  if (!num.empty() && num.back() == '+') num.remove_suffix(1);
  if (num.empty() || num.size() > 12) return std::nullopt;
  std::size_t n = 0;
  for (char c : num) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

std::vector<std::string> capabilities(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (std::string_view l : lines) {
    if (l.size() > 13 && iequals(l.substr(0, 13), "* CAPABILITY ")) {
      add_words(l.substr(13), out);
      continue;
    }
    auto code = l.find("[CAPABILITY ");
    if (code == std::string_view::npos) code = l.find("[capability ");
    if (code != std::string_view::npos) {
      auto end = l.find(']', code);
      if (end != std::string_view::npos) add_words(l.substr(code + 12, end - code - 12), out);
    }
  }
  return out;
}

bool has(const std::vector<std::string>& caps, std::string_view cap) {
  std::string u = ascii_upper(cap);
  return std::find(caps.begin(), caps.end(), u) != caps.end();
}

std::string auth_mechanisms(const std::vector<std::string>& caps) {
  std::string out;
  for (const auto& c : caps)
    if (c.starts_with("AUTH=")) {
      if (!out.empty()) out += ' ';
      out += c.substr(5);
    }
  return out;
}

std::string join(const std::vector<std::string>& caps) {
  std::string out;
  for (const auto& c : caps) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

}  // namespace mh::imap
