// Inspection of an access token for mail use (issue 4, `--decode`): decodes a JWT without
// verifying it (Microsoft tokens are opaque to clients; this is diagnosis, not trust) and
// checks what IMAP, POP and SMTP need: an Exchange audience, the protocol permission in
// `roles` (app-only) or `scp` (delegated), the expected tenant, and time left.
// Opaque (non-JWT) tokens are reported as such; nothing is checked then.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mh::oauth {

struct token_check {
  std::string name;    // audience, permissions, tenant, lifetime
  bool ok = false;
  std::string detail;
};

struct token_inspection {
  bool is_jwt = false;
  std::string opaque_reason;   // why it is not a JWT
  nlohmann::json header;       // never the signature
  nlohmann::json claims;
  std::vector<token_check> checks;
  std::vector<std::string> protocols;       // "IMAP", "POP3", "SMTP"
  std::optional<std::int64_t> seconds_left; // exp - now
  bool all_ok() const;
  nlohmann::json to_json() const;
};

// True for the spellings of the Exchange Online resource (exchange-facts §7.2).
bool is_exchange_audience(std::string_view aud);

// `expected_tenant` empty: not checked. `margin_s`: less time left is flagged.
token_inspection inspect_token(std::string_view token, std::int64_t now,
                               const std::string& expected_tenant, std::int64_t margin_s = 600);

}  // namespace mh::oauth
