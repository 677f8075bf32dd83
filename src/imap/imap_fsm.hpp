// Sans-I/O IMAP client for one OAuth login (RFC 3501/9051, RFC 4959 SASL-IR, RFC 7628).
//
//   greeting -> CAPABILITY -> [STARTTLS -> TLS -> CAPABILITY] -> AUTHENTICATE (SASL-IR when
//   advertised) -> CAPABILITY -> EXAMINE INBOX (probe) -> LOGOUT
//
// The probe is what catches Exchange's "OK AUTHENTICATE completed." followed by
// "BAD User is authenticated but not connected." (exchange-facts §1.4). A failed probe
// still ends with LOGOUT. An untagged BYE that ends the session is reported with its text
// ("* BYE Session invalidated - AccessTokenExpired"). Tags are A001, A002, ...
#pragma once

#include <string>
#include <vector>

#include "session/client_fsm.hpp"

namespace mh::imap {

class client final : public client_fsm {
 public:
  explicit client(client_params p) : p_(std::move(p)) {}

  fsm_action start() override;
  line_kind classify(std::string_view line, bool after_literal) override;
  fsm_action on_response(const response& r) override;
  fsm_action on_tls_ready() override;
  fsm_action on_io_error(std::error_code ec, const response& partial) override;

 private:
  enum class st { greeting, capability, starttls, authenticate, capability_after, probe, fetch, logout };

  fsm_action command(phase p, std::string_view text, std::string shown = {});
  fsm_action on_capability(const response& r);
  fsm_action begin_auth();
  fsm_action on_authenticate(const response& r);
  fsm_action logout();
  fsm_action fail_then_logout(std::error_code ec, std::string reply, std::string message);
  std::string next_tag();

  client_params p_;
  st st_ = st::greeting;
  unsigned counter_ = 0;
  std::string tag_;
  bool tls_done_ = false;
  std::vector<std::string> caps_;
};

}  // namespace mh::imap
