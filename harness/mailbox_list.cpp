#include "mailbox_list.hpp"

#include <algorithm>
#include <set>

#include "core/files.hpp"
#include "core/json_doc.hpp"
#include "core/text.hpp"

namespace mh::cli {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || line[i] == ',' || line[i] == ';') {
      out.push_back(trim(line.substr(start, i - start)));
      start = i + 1;
    }
  return out;
}

std::optional<bool> yes_no(const std::string& v) {
  std::string s = ascii_lower(v);
  if (s == "yes" || s == "y" || s == "true" || s == "1" || s == "x") return true;
  if (s == "no" || s == "n" || s == "false" || s == "0" || s.empty()) return false;
  return std::nullopt;
}

// A plausible address: local@domain with a dot in the domain, no spaces or controls.
bool plausible_address(const std::string& a) {
  auto at = a.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= a.size() || a.find('@', at + 1) != std::string::npos)
    return false;
  if (a.find('.', at) == std::string::npos) return false;
  return std::none_of(a.begin(), a.end(), [](char c) { return static_cast<unsigned char>(c) <= ' '; });
}

}  // namespace

std::vector<mailbox_entry> parse_mailbox_list(std::string_view text, const std::string& file) {
  static const std::vector<std::string_view> known = {"mailbox", "address", "imap", "pop3", "pop", "smtp", "shared"};
  std::vector<mailbox_entry> out;
  std::vector<std::string> header;
  std::set<std::string> seen;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto cells = split_csv(line);
    if (header.empty() && out.empty() && cells.size() >= 1 && cells[0].find('@') == std::string::npos) {
      for (auto& c : cells) {
        c = ascii_lower(c);
        if (std::find(known.begin(), known.end(), c) == known.end()) {
          std::string msg = "unknown column \"" + c + "\"";
          if (auto n = nearest(c, known); !n.empty()) msg += " (did you mean \"" + n + "\"?)";
          throw config_error(file, line_no, 1, "", msg + "; columns: mailbox, imap, pop3, smtp, shared");
        }
      }
      if (cells[0] != "mailbox" && cells[0] != "address")
        throw config_error(file, line_no, 1, "", "the first column must be \"mailbox\"");
      header = cells;
      continue;
    }
    mailbox_entry e;
    e.line = line_no;
    e.address = cells[0];
    if (!plausible_address(e.address))
      throw config_error(file, line_no, 1, "", "\"" + e.address + "\" is not a mail address");
    if (!seen.insert(ascii_lower(e.address)).second)
      throw config_error(file, line_no, 1, "", e.address + " is listed twice");
    if (!header.empty()) {
      if (cells.size() > header.size())
        throw config_error(file, line_no, 1, "", "more cells than columns in the header");
      bool any_protocol_column = false;
      for (std::size_t i = 1; i < header.size(); ++i) {
        std::string v = i < cells.size() ? cells[i] : "";
        auto b = yes_no(v);
        if (!b)
          throw config_error(file, line_no, 1, "",
                             "column " + header[i] + ": \"" + v + "\" is not yes/no, true/false, 1/0 or x");
        if (header[i] == "shared") {
          e.shared = *b;
        } else {
          any_protocol_column = true;
          if (*b) e.protocols.push_back(header[i] == "pop" ? "pop3" : header[i]);
        }
      }
      if (any_protocol_column && e.protocols.empty())
        throw config_error(file, line_no, 1, "", e.address + ": no protocol marked for this mailbox");
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) throw config_error(file, 0, 0, "", "no mailbox listed");
  return out;
}

std::vector<mailbox_entry> load_mailbox_list(const std::string& path) {
  std::string why;
  auto text = read_file_bounded(path, 16 << 20, &why);
  if (!text) throw config_error(path, 0, 0, "", why);
  return parse_mailbox_list(*text, path);
}

}  // namespace mh::cli
