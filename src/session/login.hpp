// One complete login: resolve, connect, TLS, then the protocol FSM over the shared driver.
// This is what `mailharness login` runs and what the scenario runner and the benchmark
// build on. The result carries everything a report needs and no secret: the transcript is
// redacted, replies pass through the redactor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/transcript.hpp"
#include "metrics/phase_timer.hpp"
#include "net/line_buffer.hpp"
#include "net/transport.hpp"
#include "session/client_fsm.hpp"
#include "session/client_params.hpp"
#include "session/driver.hpp"

namespace mh {

enum class protocol { imap, pop3, smtp };
enum class tls_mode { implicit, starttls, none };

std::string_view protocol_name(protocol p);
std::string_view tls_mode_name(tls_mode t);
std::uint16_t default_port(protocol p);
tls_mode default_tls(protocol p);

struct login_options {
  protocol proto = protocol::imap;
  std::string host;
  std::uint16_t port = 0;  // 0 = default_port(proto)
  tls_mode tls = tls_mode::implicit;
  client_params client;    // user, token, mechanism, form, probe, test message
  std::string ca_file;
  bool insecure = false;
  std::chrono::milliseconds timeout{30000};  // connect and each response
  line_limits limits{};
};

struct login_result {
  bool pass = false;
  fsm_outcome outcome;    // error, failed phase, exact reply (redacted), message
  std::string detail;     // TLS or socket detail of the failure
  session_facts facts;    // greeting, capabilities, mechanism, SASL form, server error JSON
  tls_info tls;
  std::string peer;       // "127.0.0.1:993"
  std::vector<phase_span> phases;
  std::vector<transcript_line> transcript;
  std::chrono::nanoseconds total{0};
};

// Builds the protocol FSM for `o`.
std::unique_ptr<client_fsm> make_client(const login_options& o);

// Runs the login on the caller's executor. `tls_ctx` may be shared across logins (it is
// read-only after creation); when null, one is created from the options.
net::awaitable<login_result> login(login_options o, std::shared_ptr<ssl::context> tls_ctx = {});

// Runs the login on a private io_context (for the CLI).
login_result login_blocking(const login_options& o);

}  // namespace mh
