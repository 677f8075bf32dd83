// The fake SMTP submission server (fakes/mail/smtp_session.cpp, auth_check.*): the input is
// what a client sends on one connection (EHLO, STARTTLS, AUTH and its continuation, MAIL,
// RCPT, DATA and the message, RSET, QUIT), run through a real session over loopback TCP;
// STARTTLS succeeds without encryption (mail_fuzz_env.hpp; @APP@, @SHARED@, @USER@ become
// valid XOAUTH2 payloads, so MAIL/RCPT/DATA are reached).
// Invariants:
//   - the session ends once the input is exhausted (else the run times out);
//   - every reply line is CRLF-terminated (once the server closed cleanly), has no bare CR or
//     LF, and is "<code>[ -]text" or "<code>" with a code 2xx-5xx; a "<code>-" line is
//     continued by a line with the same code;
//   - the first reply is the 220 greeting;
//   - no token reaches the event log (fingerprints only); ASan/LSan: nothing leaks.
// fuzz-runs: 600
#include <cstdint>
#include <string_view>

#include "mail_fuzz_env.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mh::fuzz::mail_run r = mh::fuzz::run_mail_session("smtp", data, size);
  auto lines = mh::fuzz::reply_lines(r);
  if (r.clean_eof && (lines.empty() || !lines[0].starts_with("220"))) __builtin_trap();
  std::string_view continued;  // the code a "-" line announced
  for (std::string_view line : lines) {
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
        line[2] < '0' || line[2] > '9')
      __builtin_trap();
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') __builtin_trap();
    if (!continued.empty() && line.substr(0, 3) != continued) __builtin_trap();
    continued = line.size() > 3 && line[3] == '-' ? line.substr(0, 3) : std::string_view();
  }
  return 0;
}
