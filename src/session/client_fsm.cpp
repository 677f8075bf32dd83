#include "session/client_fsm.hpp"

#include "core/error.hpp"

namespace mh {

std::string response::text() const {
  std::string out;
  for (const auto& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

fsm_action client_fsm::send(phase p, std::string wire, std::string shown) {
  phase_ = p;
  fsm_action a;
  a.type = fsm_action::kind::send;
  a.ph = p;
  if (shown.empty()) {
    shown = wire;
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) shown.pop_back();
  }
  a.wire = std::move(wire);
  a.shown = std::move(shown);
  return a;
}

fsm_action client_fsm::receive(phase p) {
  phase_ = p;
  fsm_action a;
  a.type = fsm_action::kind::receive;
  a.ph = p;
  return a;
}

fsm_action client_fsm::start_tls(phase p) {
  phase_ = p;
  fsm_action a;
  a.type = fsm_action::kind::start_tls;
  a.ph = p;
  return a;
}

fsm_action client_fsm::fail(std::error_code ec, std::string reply, std::string message) {
  outcome_.error = ec;
  outcome_.failed_phase = phase_;
  outcome_.reply = std::move(reply);
  outcome_.message = std::move(message);
  fsm_action a;
  a.type = fsm_action::kind::done;
  a.ph = phase_;
  return a;
}

fsm_action client_fsm::succeed() {
  outcome_ = {};
  fsm_action a;
  a.type = fsm_action::kind::done;
  a.ph = phase_;
  return a;
}

void client_fsm::defer_failure(std::error_code ec, std::string reply, std::string message) {
  deferred_ = fsm_outcome{ec, phase_, std::move(reply), std::move(message)};
}

fsm_action client_fsm::finish() {
  if (deferred_) {
    outcome_ = *deferred_;
    fsm_action a;
    a.type = fsm_action::kind::done;
    a.ph = phase_;
    return a;
  }
  return succeed();
}

fsm_action client_fsm::begin_sasl(const client_params& p, std::string_view prefix,
                                  const sasl::protocol_params& proto, sasl::mech_set advertised,
                                  bool advertisement_known, bool ir_advertised) {
  phase_ = phase::auth;
  std::string message;
  if (auto ec = sasl_.select(p, advertised, advertisement_known, message))
    return fail(ec, {}, message);
  facts_.mechanism = std::string(sasl::mech_name(sasl_.chosen()));
  facts_.mechanism_advertised = sasl_.advertised();
  auto line = sasl_.command(prefix, proto, p.form, ir_advertised);
  facts_.sasl_form = sasl_.used_initial_response() ? "initial-response" : "two-step";
  return send(phase::auth, std::move(line.wire), std::move(line.shown));
}

fsm_action client_fsm::continue_sasl(std::string_view challenge, const std::string& line) {
  auto answer = sasl_.answer(challenge);
  if (!answer) return fail(errc::weird_server_reply, line, "the SASL challenge is not valid base64");
  if (sasl_.server_error()) facts_.sasl_server_error = *sasl_.server_error();
  return send(phase::auth, std::move(answer->wire), std::move(answer->shown));
}

std::string client_fsm::denial_message() const {
  std::string msg = "the server rejected the " + facts_.mechanism + " login";
  if (!facts_.sasl_server_error.empty()) msg += " (error report: " + facts_.sasl_server_error + ")";
  return msg;
}

fsm_action client_fsm::on_io_error(std::error_code ec, const response& partial) {
  std::string msg;
  if (ec == errc::timed_out)
    msg = "timed out in phase " + std::string(phase_name(phase_));
  else if (ec == errc::connection_lost)
    msg = "the server closed the connection in phase " + std::string(phase_name(phase_));
  else
    msg = ec.message() + " in phase " + std::string(phase_name(phase_));
  return fail(ec, partial.lines.empty() ? std::string() : partial.text(), msg);
}

}  // namespace mh
