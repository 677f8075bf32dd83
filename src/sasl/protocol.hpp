// Per-protocol SASL parameters as data (curl's SASLproto; style-anchors rule 4), and the
// one rule that decides between the initial-response and the two-step form.
//
//   protocol  service  command-line limit               initial response by default
//   IMAP      imap     none (RFC 4959 SASL-IR needed)   yes when SASL-IR is advertised
//   POP3      pop      255 octets (RFC 5034 §4)         no: Exchange closes the connection
//   SMTP      smtp     12288 octets (RFC 4954 §4)       yes when it fits
#pragma once

#include <cstddef>
#include <string_view>

namespace mh::sasl {

struct protocol_params {
  std::string_view service;
  std::size_t max_command_line;  // octets including the verb, 0 = no limit
  bool ir_needs_capability;      // IMAP: only with SASL-IR
  bool ir_by_default;            // automatic form uses the initial response when allowed
};

inline constexpr protocol_params imap_params{"imap", 0, true, true};
inline constexpr protocol_params pop3_params{"pop", 255, false, false};
inline constexpr protocol_params smtp_params{"smtp", 12288, false, true};

enum class form { automatic, initial_response, two_step };

std::string_view form_name(form f);

// Whether to send the credentials on the AUTH line. `command_line` is the length of the
// whole command as it would be sent with the initial response (verb, mechanism, base64,
// excluding CRLF). An explicit `initial_response` is honoured even past the limit (the
// user asked for it: testing the server's limit is a legitimate use).
bool use_initial_response(const protocol_params& p, form f, bool ir_advertised,
                          std::size_t command_line);

}  // namespace mh::sasl
