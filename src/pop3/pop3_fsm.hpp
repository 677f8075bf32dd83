// Sans-I/O POP3 client for one OAuth login (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS,
// RFC 5034 AUTH).
//
//   greeting -> CAPA -> [STLS -> TLS -> CAPA] -> AUTH (two-step by default: Exchange closes
//   the connection when the credentials are on the AUTH line, exchange-facts §2.3) ->
//   STAT (probe) -> QUIT
//
// A server without CAPA (-ERR) is still tried: explicit mechanisms as asked, `auto` as
// XOAUTH2. A failed probe still ends with QUIT.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "session/client_fsm.hpp"

namespace mh::pop3 {

class client final : public client_fsm {
 public:
  explicit client(client_params p) : p_(std::move(p)) {}

  fsm_action start() override;
  line_kind classify(std::string_view line, bool after_literal) override;
  fsm_action on_response(const response& r) override;
  fsm_action on_tls_ready() override;
  fsm_action on_io_error(std::error_code ec, const response& partial) override;

 private:
  enum class st { greeting, capa, stls, auth, probe, retr, quit };

  fsm_action command(phase p, std::string text, std::string shown = {});
  fsm_action on_capa(const response& r);
  fsm_action begin_auth();
  fsm_action on_auth(const response& r);
  fsm_action quit();

  client_params p_;
  st st_ = st::greeting;
  bool multiline_ = false;     // the current command answers with a multi-line list
  bool first_line_ = true;     // classify() has not yet seen the status line
  bool capa_known_ = false;
  bool tls_done_ = false;
  std::vector<std::string> capa_;
};

}  // namespace mh::pop3
