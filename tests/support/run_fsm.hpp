// Runs a client FSM through the real driver over a memory_transport (no sockets).
#pragma once

#include <boost/asio/detached.hpp>
#include <memory>

#include "core/transcript.hpp"
#include "memory_transport.hpp"
#include "session/driver.hpp"
#include "session/login.hpp"

namespace mh::test {

struct fsm_run {
  fsm_outcome outcome;
  session_facts facts;
  std::vector<std::string> client_lines;
  std::vector<transcript_line> transcript;
  std::vector<phase_span> phases;
  long ops = 0;
  int handshakes = 0;
};

struct run_options {
  std::size_t read_size = 1 << 20;
  long fail_at = -1;
  bool stall_when_empty = false;
  std::error_code handshake_error;
  line_limits limits{};
};

inline fsm_run run_fsm(client_fsm& fsm, std::vector<std::string> segments,
                       const run_options& ro = {}, const redactor* red = nullptr) {
  memory_transport t(std::move(segments));
  t.read_size = ro.read_size;
  t.fail_at = ro.fail_at;
  t.stall_when_empty = ro.stall_when_empty;
  t.handshake_error = ro.handshake_error;
  static const redactor none;
  transcript tr(red ? *red : none);
  phase_timer timer;
  line_channel ch(t, ro.limits);
  net::io_context io;
  net::co_spawn(io, drive(fsm, ch, tr, timer, {}), net::detached);
  io.run();
  fsm_run out;
  out.outcome = fsm.outcome();
  out.facts = fsm.facts();
  out.client_lines = t.lines();
  out.transcript = tr.lines();
  out.phases = timer.spans();
  out.ops = t.ops;
  out.handshakes = t.handshakes;
  return out;
}

inline login_options opts(protocol p, std::string user = "alice@contoso.com",
                          std::string token = "tok-123456789") {
  login_options o;
  o.proto = p;
  o.host = "mail.example.test";
  o.tls = default_tls(p);
  o.client.creds.user = std::move(user);
  o.client.creds.token = secret_string(std::move(token));
  return o;
}

}  // namespace mh::test
