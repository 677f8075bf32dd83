#include "core/error.hpp"

#include <cerrno>
#include <string>

namespace mh {
namespace {

struct entry {
  errc code;
  std::string_view name;
  std::string_view message;
};

constexpr entry table[] = {
    {errc::ok, "ok", "success"},
    {errc::login_denied, "login_denied", "the server refused the credentials"},
    {errc::probe_denied, "probe_denied", "authenticated, but the post-auth probe was refused"},
    {errc::greeting_refused, "greeting_refused", "the server refused service in its greeting"},
    {errc::command_rejected, "command_rejected", "the server answered a command with an error"},
    {errc::mech_unavailable, "mech_unavailable", "the SASL mechanism is not advertised"},
    {errc::starttls_unavailable, "starttls_unavailable", "STARTTLS is not advertised"},
    {errc::starttls_refused, "starttls_refused", "the server refused STARTTLS"},
    {errc::session_closed_by_peer, "session_closed_by_peer", "the server closed the session"},
    {errc::token_request_denied, "token_request_denied", "the token endpoint refused the request"},
    {errc::weird_server_reply, "weird_server_reply", "malformed server reply"},
    {errc::line_too_long, "line_too_long", "server line exceeds the length limit"},
    {errc::bare_lf, "bare_lf", "server line ends in a bare LF"},
    {errc::nul_in_line, "nul_in_line", "server line contains a NUL byte"},
    {errc::unexpected_continuation, "unexpected_continuation", "unexpected continuation request"},
    {errc::connection_lost, "connection_lost", "the connection was closed unexpectedly"},
    {errc::data_after_starttls, "data_after_starttls",
     "the server sent data after its STARTTLS reply, before the TLS handshake"},
    {errc::bad_token_response, "bad_token_response", "the token endpoint's response is not usable"},
    {errc::response_too_large, "response_too_large", "the HTTP response exceeds its size limit"},
    {errc::tls_handshake_failed, "tls_handshake_failed", "the TLS handshake failed"},
    {errc::cert_untrusted, "cert_untrusted", "the server certificate is not trusted"},
    {errc::cert_hostname_mismatch, "cert_hostname_mismatch",
     "the server certificate does not match the host name"},
    {errc::cert_expired, "cert_expired", "the server certificate has expired"},
    {errc::timed_out, "timed_out", "timed out"},
    {errc::resolve_failed, "resolve_failed", "the host name could not be resolved"},
    {errc::connect_refused, "connect_refused", "the connection was refused"},
    {errc::connect_failed, "connect_failed", "the connection could not be established"},
    {errc::token_unreadable, "token_unreadable", "the access token could not be read"},
    {errc::config_invalid, "config_invalid", "invalid configuration"},
    {errc::internal, "internal", "internal error"},
    {errc::cache_unusable, "cache_unusable", "the token cache file cannot be used"},
};

const entry* find(int v) noexcept {
  for (const auto& e : table)
    if (static_cast<int>(e.code) == v) return &e;
  return nullptr;
}

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "mailharness"; }
  std::string message(int v) const override {
    const entry* e = find(v);
    return e ? std::string(e->message) : "unknown mailharness error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& mail_category() noexcept {
  static const category c;
  return c;
}

error_class classify(std::error_code ec) noexcept {
  if (!ec) return error_class::none;
  if (ec.category() == mail_category()) {
    int v = ec.value();
    if (v < 100) return error_class::rejected;
    if (v < 200) return error_class::protocol;
    if (v < 300) return error_class::tls;
    if (v < 400) return error_class::timeout;
    if (v < 500) return error_class::connect;
    return error_class::local;
  }
  if (ec == std::errc::connection_refused || ec == std::errc::network_unreachable ||
      ec == std::errc::host_unreachable)
    return error_class::connect;
  if (ec == std::errc::timed_out) return error_class::timeout;
  if (ec == std::errc::connection_reset || ec == std::errc::broken_pipe)
    return error_class::protocol;
  return error_class::local;
}

std::string_view class_name(error_class c) noexcept {
  switch (c) {
    case error_class::none: return "none";
    case error_class::rejected: return "rejected";
    case error_class::protocol: return "protocol";
    case error_class::tls: return "tls";
    case error_class::timeout: return "timeout";
    case error_class::connect: return "connect";
    case error_class::local: return "local";
  }
  return "local";
}

std::string_view errc_name(errc e) noexcept {
  const entry* x = find(static_cast<int>(e));
  return x ? x->name : "unknown";
}

std::string_view code_name(std::error_code ec) noexcept {
  if (ec.category() == mail_category()) return errc_name(static_cast<errc>(ec.value()));
  return "system_error";
}

}  // namespace mh
