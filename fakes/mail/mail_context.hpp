// Everything a fake mail session needs, shared by all sessions of one fake. Sessions run on
// the fake's io_context; the tenant is read-only while they run (control changes happen on
// the same thread), the store, faults and events are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "jwt/jwt.hpp"
#include "mail/auth_check.hpp"
#include "mail/faults.hpp"
#include "mail/mail_store.hpp"
#include "net/asio.hpp"
#include "observe/events.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

struct mail_config {
  std::string listen = "127.0.0.1";
  std::uint16_t imap_port = 0;  // 0 = any free port
  std::uint16_t pop3_port = 0;
  std::uint16_t smtp_port = 0;
  std::string server_fqdn = "MHFAKE01CA0001.mailharness.invalid";  // the greeting's blob
  // Every timeout below is a deadline for a whole step, never reset by the bytes that arrive
  // (one byte per second does not keep a session alive).
  // Authenticated: the next whole command line (with its literals), counted from the call.
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(30)};
  // Accept to authentication done, one deadline for the TLS handshake, the greeting and every
  // command before login.
  std::chrono::milliseconds login_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds send_timeout{std::chrono::seconds(120)};  // one whole reply
  std::chrono::milliseconds auth_failure_delay{0};  // Exchange: ~5-9 s; 0 keeps CI fast
  std::size_t max_auth_failures = 3;  // failed logins on one connection, then it is closed
  std::size_t max_line = 64 * 1024;   // command line, octets; before login also a whole IMAP
                                      // command with its literals
  std::size_t max_literal = 64 * 1024 * 1024;       // IMAP literal / SMTP message, octets
  std::size_t pop3_max_auth_line = 0;               // 0 = no extra limit (exchange-facts §2.3)
  // Sessions (IMAP, POP3, SMTP together). A connection at the cap drops the oldest session
  // that has not authenticated yet; only when all have is it refused (mail_servers.hpp).
  std::size_t max_sessions = 2000;
  bool accept_oauthbearer = false;  // Exchange does not advertise it; accepting is unknown
  bool smtp_concurrency_limit = false;  // 3 submitters per mailbox -> 432 4.3.2
};

struct mail_context {
  tenant& t;
  mail_store& store;
  event_log& events;
  fault_set& faults;
  jwt::verify_key key;
  mail_config cfg;
  std::shared_ptr<ssl::context> tls;
  std::function<std::int64_t()> now;  // unix seconds (injectable for tests)
  // Authenticated SMTP sessions per mailbox (for the 3-submitter limit).
  std::map<std::string, int> smtp_active;
  // Tokens whose signature verified already (one RSA verification per token, not per login).
  std::shared_ptr<verified_tokens> verified = std::make_shared<verified_tokens>();
  // Fuzz targets only (fuzz/fuzz_*_server.cpp): session_io::tls_handshake() succeeds without
  // TLS, so a session runs in plaintext over a loopback pair. Never set by the fake itself.
  bool plaintext_for_fuzzing = false;
};

}  // namespace mh::fake
