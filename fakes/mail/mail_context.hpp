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
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(30)};
  std::chrono::milliseconds login_timeout{std::chrono::seconds(60)};  // greeting to AUTH done
  std::chrono::milliseconds auth_failure_delay{0};  // Exchange: ~5-9 s; 0 keeps CI fast
  std::size_t max_line = 64 * 1024;                 // command line, octets
  std::size_t max_literal = 64 * 1024 * 1024;       // IMAP literal / SMTP message, octets
  std::size_t pop3_max_auth_line = 0;               // 0 = no extra limit (exchange-facts §2.3)
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
};

}  // namespace mh::fake
