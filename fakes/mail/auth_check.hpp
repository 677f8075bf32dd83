// Token validation at the mail servers, the way Exchange Online decides (exchange-facts
// §1.3, §1.4, §3.4, §7, §8): signature against the fake's key, lifetime, audience, tenant,
// the role (app-only) or scope (delegated) for the protocol, the Exchange service
// principal, the protocol switch of the mailbox, and the rights of the principal on the
// mailbox named in the SASL string. The verdict says which answer Exchange gives; `reason`
// says why, for the fake's event log (never shown to clients: Exchange does not say).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "jwt/jwt.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

enum class mail_protocol { imap, pop3, smtp };
std::string_view mail_protocol_name(mail_protocol p);

enum class auth_verdict {
  ok,
  failed,                  // IMAP NO AUTHENTICATE failed. / POP -ERR Authentication failure / SMTP 535 5.7.3
  not_connected,           // IMAP: OK AUTHENTICATE, then BAD User is authenticated but not connected.
  smtp_disabled_tenant,    // 535 5.7.139 ... disabled for the Tenant
  smtp_disabled_mailbox,   // 535 5.7.139 ... disabled for the Mailbox
};

struct auth_result {
  auth_verdict verdict = auth_verdict::failed;
  std::string reason;         // why, for events and tests
  std::string mailbox;        // the mailbox opened (the SASL user), when known
  std::string principal;      // client id (app-only) or UPN (delegated), once the token verifies
  std::string client_id;      // the token's appid claim, once the token verifies
  bool app_only = false;
  bool canonical = false;     // the SASL payload had the canonical form
  std::string deviation;      // how it was not canonical
  std::int64_t expires = 0;   // token exp (unix seconds)
  std::int64_t issued = 0;    // token iat
  std::string token_fp;       // fingerprint of the token
};

// Tokens whose signature has verified against the fake's key (which never changes while it
// runs). A client reuses its token until it nears expiry, so this makes one RSA verification
// per token instead of one per login. Only the signature check is skipped: lifetime,
// audience, tenant and rights are checked at every login. Bounded (cleared when full);
// thread-safe.
class verified_tokens {
 public:
  bool contains(std::string_view token) const;
  void add(std::string_view token);

 private:
  static constexpr std::size_t max_entries = 4096;
  mutable std::mutex mu_;
  std::unordered_set<std::string> tokens_;
};

// `payload` is the decoded SASL payload of `mech` ("XOAUTH2" or "OAUTHBEARER"). `verified`
// may be null (every signature is checked).
auth_result check_mail_login(mail_protocol proto, std::string_view mech, std::string_view payload,
                             const tenant& t, const jwt::verify_key& key, std::int64_t now,
                             verified_tokens* verified = nullptr);

// Whether `principal` (client id or UPN) may send as `from` from `mailbox`'s session.
bool may_send_as(const tenant& t, const std::string& principal, const std::string& from);

}  // namespace mh::fake
