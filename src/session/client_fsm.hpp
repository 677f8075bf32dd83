// The contract between a protocol's sans-I/O client state machine and the one driver that
// moves its bytes (style-anchors rules 1 and 2; Boost.Redis resume() -> action).
//
// The driver asks the FSM for an action, performs it, and reports back:
//   send      write `wire`, then read one response (every command expects one)
//   receive   read one response without sending (the greeting)
//   start_tls run the TLS handshake, then call on_tls_ready()
//   done      stop; outcome() holds the verdict
// A response is the list of lines up to the line classify() calls final or continuation;
// IMAP literals announced by classify() are read as raw bytes and appended to their line.
// The FSM never performs I/O, so tests drive it with scripted lines, byte by byte, and
// with a failure at every step.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/phase.hpp"
#include "session/client_params.hpp"
#include "session/sasl_session.hpp"

namespace mh {

struct response {
  std::vector<std::string> lines;
  bool continuation = false;  // the last line is a continuation request (+ / 334)
  const std::string& last() const { return lines.back(); }
  // All lines joined with "\n" (for messages and reports).
  std::string text() const;
};

struct fsm_action {
  enum class kind { send, receive, start_tls, done };
  kind type = kind::done;
  phase ph = phase::greeting;
  std::string wire;   // exact bytes to send, with CRLF (send only)
  std::string shown;  // what the transcript shows instead of `wire` (no secrets)
};

struct line_kind {
  enum class k { more, final, continuation, literal };
  k kind = k::more;
  std::size_t literal_size = 0;  // for k::literal
};

// The verdict of a login as the FSM saw it.
struct fsm_outcome {
  std::error_code error;   // empty = success
  phase failed_phase = phase::greeting;
  std::string reply;       // the exact server reply that decided a failure (redacted later)
  std::string message;     // one human sentence
};

// What the session learned, for the report.
struct session_facts {
  std::string greeting;
  std::string capabilities;             // as advertised before authentication
  std::string capabilities_after_auth;  // IMAP only
  std::string mechanism;                // "XOAUTH2"
  std::string sasl_form;                // "initial-response" or "two-step"
  std::string sasl_server_error;        // decoded error challenge (RFC 7628 JSON), if any
  bool mechanism_advertised = true;
};

class client_fsm {
 public:
  virtual ~client_fsm() = default;
  virtual fsm_action start() = 0;
  // Classifies one physical line of the current response. `after_literal` is true when
  // the line continues a line whose literal was just read.
  virtual line_kind classify(std::string_view line, bool after_literal) = 0;
  virtual fsm_action on_response(const response& r) = 0;
  virtual fsm_action on_tls_ready() = 0;
  // I/O failed (connection lost, timeout, framing error). `partial` holds the lines of the
  // response read so far. The default fails in the current phase.
  virtual fsm_action on_io_error(std::error_code ec, const response& partial);

  const fsm_outcome& outcome() const { return outcome_; }
  const session_facts& facts() const { return facts_; }
  phase current_phase() const { return phase_; }

 protected:
  fsm_action send(phase p, std::string wire, std::string shown = {});
  fsm_action receive(phase p);
  fsm_action start_tls(phase p);
  fsm_action fail(std::error_code ec, std::string reply, std::string message);
  fsm_action succeed();

  // A failure that is reported after the polite goodbye (LOGOUT / QUIT) was exchanged.
  void defer_failure(std::error_code ec, std::string reply, std::string message);
  // Ends the session: with the deferred failure if there is one, else successfully.
  fsm_action finish();
  bool has_deferred_failure() const { return deferred_.has_value(); }

  // The SASL exchange, shared by the three protocols. begin_sasl() selects the mechanism
  // and sends the AUTH command (`prefix` e.g. "A002 AUTHENTICATE" or "AUTH"), or fails with
  // mech_unavailable. continue_sasl() answers a continuation whose text follows the
  // continuation marker. denial_message() explains a refused login, with the server's
  // error report when it sent one.
  fsm_action begin_sasl(const client_params& p, std::string_view prefix,
                        const sasl::protocol_params& proto, sasl::mech_set advertised,
                        bool advertisement_known, bool ir_advertised);
  fsm_action continue_sasl(std::string_view challenge, const std::string& line);
  std::string denial_message() const;

  phase phase_ = phase::greeting;
  fsm_outcome outcome_;
  session_facts facts_;
  sasl_session sasl_;

 private:
  std::optional<fsm_outcome> deferred_;
};

}  // namespace mh
