// IMAP4rev1 response syntax needed by the client (RFC 3501 §7, RFC 9051): tagged status
// lines, untagged CAPABILITY and [CAPABILITY] codes, trailing literals, BYE.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mh::imap {

enum class status { ok, no, bad, bye, preauth, other };

struct status_line {
  std::string_view tag;   // "*" for untagged
  status st = status::other;
  std::string_view text;  // after the status word
};

// Splits "<tag> <STATUS> <text>"; nullopt if the line has no tag and space.
std::optional<status_line> parse_status(std::string_view line);

// The size of a literal announced at the end of the line ("{123}" or "{123+}").
std::optional<std::size_t> trailing_literal(std::string_view line);

// Capabilities listed in "* CAPABILITY ..." lines or a "[CAPABILITY ...]" response code,
// upper-cased, in order; empty if none.
std::vector<std::string> capabilities(const std::vector<std::string>& lines);
bool has(const std::vector<std::string>& caps, std::string_view cap);
// The mechanisms of AUTH=xxx capabilities, space-separated.
std::string auth_mechanisms(const std::vector<std::string>& caps);
std::string join(const std::vector<std::string>& caps);

}  // namespace mh::imap
