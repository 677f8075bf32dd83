// The fake IMAP server (fakes/mail/imap_session.cpp, imap_mailbox.cpp, imap_syntax.*,
// auth_check.*): the input is what a client sends on one connection (commands, literals,
// AUTHENTICATE continuations), run through a real session over loopback TCP without TLS
// (mail_fuzz_env.hpp; @APP@, @SHARED@, @USER@, @TOKEN@ become valid XOAUTH2 payloads and
// tokens, so SELECT/EXAMINE/FETCH/SEARCH/STORE/EXPUNGE/IDLE are reached).
// Invariants:
//   - the session ends once the input is exhausted (else the run times out);
//   - every reply is CRLF-terminated (once the server closed cleanly), has no bare CR or LF
//     outside literals, and is IMAP: untagged "* ...", continuation "+" / "+ ...", or a
//     tagged "<tag> OK|NO|BAD ..."; a literal {n} announced at a line end is followed by n
//     octets and the rest of its response;
//   - the first reply is the untagged OK greeting;
//   - no token reaches the event log (fingerprints only); ASan/LSan: nothing leaks.
// fuzz-runs: 250
#include <cstdint>
#include <string>
#include <string_view>

#include "mail_fuzz_env.hpp"

namespace {

// Parses one IMAP response at `s` (advancing it); false when it is not IMAP.
bool imap_response(std::string_view& s, bool clean, bool& truncated) {
  std::string first;  // the response up to its first literal
  bool first_segment = true;
  for (;;) {
    auto eol = s.find("\r\n");
    if (eol == std::string_view::npos) {
      truncated = true;
      return !clean;
    }
    std::string_view line = s.substr(0, eol);
    if (line.find_first_of("\r\n") != std::string_view::npos) return false;
    if (first_segment) first = std::string(line);
    first_segment = false;
    s.remove_prefix(eol + 2);
    // A literal announced at the end of the line: {n}CRLF then n octets, then more line.
    if (!line.ends_with("}")) break;
    auto open = line.rfind('{');
    if (open == std::string_view::npos) break;
    std::string_view num = line.substr(open + 1, line.size() - open - 2);
    if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string_view::npos) break;
    std::size_t n = std::stoul(std::string(num));
    if (n > s.size()) {
      truncated = true;
      return !clean;
    }
    s.remove_prefix(n);
  }
  if (first.starts_with("* ") || first == "+" || first.starts_with("+ ")) return true;
  auto sp = first.find(' ');
  if (sp == std::string::npos || sp == 0) return false;
  std::string_view status = std::string_view(first).substr(sp + 1);
  return status.starts_with("OK") || status.starts_with("NO") || status.starts_with("BAD");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mh::fuzz::mail_run r = mh::fuzz::run_mail_session("imap", data, size);
  std::string_view s = r.replies;
  if (!s.starts_with("* OK ")) __builtin_trap();
  bool truncated = false;
  while (!s.empty() && !truncated)
    if (!imap_response(s, r.clean_eof, truncated)) __builtin_trap();
  return 0;
}
