// The --mailboxes file of `mailharness validate` (harness/mailbox_list.hpp): plain lines or
// CSV with a header. parse_mailbox_list() either returns at least one entry, each a plausible
// address taken from its line, listed once, with known protocols, or throws config_error
// naming the file and the line.
// fuzz-runs: 15000
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>

#include "core/text.hpp"
#include "loader_check.hpp"
#include "mailbox_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz-mailboxes.csv";
  std::string_view text = mh::fuzz::text_of(data, size);
  std::vector<mh::cli::mailbox_entry> v;
  if (!mh::fuzz::loads([&] { v = mh::cli::parse_mailbox_list(text, file); }, file)) return 0;
  if (v.empty()) __builtin_trap();
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  std::set<std::string> seen;
  int last_line = 0;
  for (const auto& e : v) {
    // Entries in file order, one per line, each line really in the file.
    if (e.line <= last_line || e.line > lines) __builtin_trap();
    last_line = e.line;
    if (e.address.empty() || e.address.size() > text.size()) __builtin_trap();
    auto at = e.address.find('@');
    if (at == std::string::npos || at == 0 || e.address.find('@', at + 1) != std::string::npos) __builtin_trap();
    for (char c : e.address)
      if (static_cast<unsigned char>(c) <= ' ') __builtin_trap();
    if (!seen.insert(mh::ascii_lower(e.address)).second) __builtin_trap();
    for (const auto& p : e.protocols)
      if (p != "imap" && p != "pop3" && p != "smtp") __builtin_trap();
  }
  return 0;
}
