// Sans-I/O SMTP submission client for one OAuth login (RFC 5321, RFC 3207 STARTTLS,
// RFC 4954 AUTH, RFC 2920 replies).
//
//   greeting (may be multi-line) -> EHLO -> [STARTTLS -> TLS -> EHLO] -> AUTH (initial
//   response when the line fits 12288 octets, two-step otherwise or on request) ->
//   MAIL FROM + RSET (probe: catches 530 5.7.57) -> [test message] -> QUIT
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "session/client_fsm.hpp"

namespace mh::smtp {

struct reply {
  int code = 0;                  // 3-digit reply code
  std::vector<std::string> text; // text of each line (after "ddd-" / "ddd ")
};

// Parses a complete multi-line reply; nullopt if a line is malformed or codes differ.
std::optional<reply> parse_reply(const std::vector<std::string>& lines);

class client final : public client_fsm {
 public:
  explicit client(client_params p) : p_(std::move(p)) {}

  fsm_action start() override;
  line_kind classify(std::string_view line, bool after_literal) override;
  fsm_action on_response(const response& r) override;
  fsm_action on_tls_ready() override;
  fsm_action on_io_error(std::error_code ec, const response& partial) override;

 private:
  enum class st {
    greeting, ehlo, starttls, auth, probe_mail, probe_rset,
    send_mail, send_rcpt, send_data, send_body, quit
  };

  fsm_action ehlo(phase p);
  fsm_action on_ehlo(const reply& rp, const std::string& last);
  fsm_action on_auth(const response& r, const reply& rp);
  fsm_action after_auth();
  fsm_action begin_send();
  fsm_action quit();
  fsm_action fail_then_quit(std::error_code ec, std::string reply, std::string message);

  client_params p_;
  st st_ = st::greeting;
  bool tls_done_ = false;
  std::vector<std::string> ext_;
};

// The small RFC 5322 test message sent by --send-test-message (dot-stuffed, ends "\r\n.\r\n").
std::string test_message(std::string_view from, std::string_view to);

}  // namespace mh::smtp
