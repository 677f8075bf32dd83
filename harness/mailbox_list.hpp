// The --mailboxes file of `mailharness validate`: one address per line, or CSV with a
// header naming the columns (mailbox, imap, pop3, smtp, shared). Blank lines and lines
// starting with '#' are ignored. Protocol columns say which protocols the mailbox needs
// (yes/no, true/false, 1/0, x or empty); without them every requested protocol is checked.
// Errors name the file and line (config_error).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mh::cli {

struct mailbox_entry {
  std::string address;
  std::vector<std::string> protocols;  // empty: all requested
  bool shared = false;
  int line = 0;
};

std::vector<mailbox_entry> parse_mailbox_list(std::string_view text, const std::string& file);
std::vector<mailbox_entry> load_mailbox_list(const std::string& path);

}  // namespace mh::cli
