// The fake POP3 server (fakes/mail/pop3_session.cpp, auth_check.*): the input is what a client
// sends on one connection (commands, AUTH continuations), run through a real session over
// loopback TCP without TLS (mail_fuzz_env.hpp; @APP@, @SHARED@, @USER@ become valid XOAUTH2
// payloads, so STAT/LIST/UIDL/RETR/TOP/DELE/RSET/QUIT are reached).
// Invariants:
//   - the session ends once the input is exhausted (else the run times out);
//   - every reply line is CRLF-terminated (once the server closed cleanly), has no bare CR or
//     LF, and is POP3: "+OK...", "-ERR...", a SASL continuation "+" / "+ ...", or a line of a
//     multi-line answer, which only follows a "+OK" line and ends at a lone ".";
//   - the first reply is the +OK greeting;
//   - no token reaches the event log (fingerprints only); ASan/LSan: nothing leaks.
// fuzz-runs: 1000
#include <cstdint>
#include <string_view>

#include "mail_fuzz_env.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mh::fuzz::mail_run r = mh::fuzz::run_mail_session("pop3", data, size);
  auto lines = mh::fuzz::reply_lines(r);
  if (r.clean_eof && (lines.empty() || !lines[0].starts_with("+OK"))) __builtin_trap();
  bool in_block = false;  // after a +OK that may open a multi-line answer, before its "."
  for (std::string_view line : lines) {
    if (in_block && line == ".") {
      in_block = false;
    } else if (line.starts_with("+OK")) {
      in_block = true;
    } else if (line.starts_with("-ERR") || line == "+" || line.starts_with("+ ")) {
      in_block = false;
    } else if (!in_block) {
      __builtin_trap();
    }
  }
  return 0;
}
