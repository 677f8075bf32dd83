// The one error vocabulary of mailharness (style-anchors rule 8).
//
// Every failure that a user sees is one `mh::errc` value in one std::error_category, and
// every value belongs to exactly one `error_class`:
//   rejected  - the peer said no (NO, -ERR, 5xx, an AADSTS error): a check failed
//   protocol  - the peer broke the protocol (malformed reply, bare LF, NUL, over-long line)
//   tls       - the TLS handshake or certificate verification failed
//   timeout   - no answer within the deadline of a named phase
//   connect   - the target could not be reached (resolve, TCP connect)
//   local     - we failed: bad configuration, unreadable token, internal error
// Expected network outcomes travel as values (std::error_code), never as exceptions.
#pragma once

#include <string_view>
#include <system_error>

namespace mh {

enum class errc {
  ok = 0,
  // rejected
  login_denied = 1,       // the server refused the credentials
  probe_denied,           // authenticated, but the post-auth probe was refused
  greeting_refused,       // the server refused service in its greeting
  command_rejected,       // any other command answered with an error
  mech_unavailable,       // the requested SASL mechanism is not advertised
  starttls_unavailable,   // STARTTLS/STLS requested but not advertised
  starttls_refused,       // STARTTLS/STLS answered with an error
  session_closed_by_peer, // the server closed the session with BYE/421 mid-dialogue
  token_request_denied,   // the token endpoint answered with an OAuth/AADSTS error
  // protocol
  weird_server_reply = 100,
  line_too_long,
  bare_lf,
  nul_in_line,
  unexpected_continuation,
  connection_lost,
  data_after_starttls,
  bad_token_response,     // the token endpoint's answer is not a usable token response
  response_too_large,     // an HTTP response body exceeded its size cap
  // tls
  tls_handshake_failed = 200,
  cert_untrusted,
  cert_hostname_mismatch,
  cert_expired,
  // timeout
  timed_out = 300,
  // connect
  resolve_failed = 400,
  connect_refused,
  connect_failed,
  // local
  token_unreadable = 500,
  config_invalid,
  internal,
  cache_unusable,         // the token cache file is corrupt, foreign or unwritable
};

enum class error_class { none, rejected, protocol, tls, timeout, connect, local };

const std::error_category& mail_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), mail_category()};
}

// The class of an error code; codes of other categories are classified by meaning
// (e.g. ECONNREFUSED -> connect), unknown ones count as `local`.
error_class classify(std::error_code ec) noexcept;

// Stable lower-case names used in JSON output and scenario expectations.
std::string_view class_name(error_class c) noexcept;
std::string_view errc_name(errc e) noexcept;
std::string_view code_name(std::error_code ec) noexcept;

}  // namespace mh

template <>
struct std::is_error_code_enum<mh::errc> : std::true_type {};
