// What the fake identity platform remembers between requests: refresh tokens (rotation,
// inactivity, strict-rotation revocation), device codes and authorization codes. Entries are
// indexed by SHA-256 of the token or code, so the store never holds one in clear. Bounded:
// expired codes are purged as new ones arrive; beyond the cap the oldest entries go.
// Not thread-safe: the token service serialises access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity/aadsts.hpp"

namespace mh::fake {

struct refresh_record {
  std::string client_id;
  std::string upn;
  std::string scope;                // the scope string of the original grant
  std::vector<std::string> amr;     // authentication methods of the original sign-in
  std::string family;               // one id per sign-in; shared by all rotated tokens
  std::int64_t issued_at = 0;       // when this token was issued
  std::int64_t last_used_at = 0;    // inactivity is measured from here
  std::int64_t rotated_at = 0;      // when a newer token replaced it (0: still the newest)
};

struct device_record {
  enum class state { pending, approved, declined, failed, redeemed };
  std::string client_id;
  std::string scope;
  std::string user_code;
  std::int64_t expires_at = 0;
  state st = state::pending;
  std::string upn;                  // who approved
  std::vector<std::string> amr;
  std::optional<aad_error> failure; // why the sign-in failed (st == failed)
};

struct code_record {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
  std::string upn;
  std::vector<std::string> amr;
  std::string code_challenge;
  std::string challenge_method;     // "S256" or "plain"
  std::string nonce;
  std::int64_t expires_at = 0;
  bool redeemed = false;
};

class grant_store {
 public:
  static constexpr std::size_t max_entries = 100000;  // per kind

  // Stores the record under a new opaque token and returns the token.
  std::string add_refresh(refresh_record r);
  refresh_record* find_refresh(std::string_view token);

  // Returns the device code; the record's user_code is filled in.
  std::string add_device(device_record r, std::int64_t now);
  device_record* find_device(std::string_view device_code);
  device_record* find_device_by_user_code(std::string_view user_code);

  std::string add_code(code_record r, std::int64_t now);
  code_record* find_code(std::string_view code);

 private:
  std::unordered_map<std::string, refresh_record> refresh_;
  std::unordered_map<std::string, device_record> devices_;
  std::unordered_map<std::string, std::string> user_codes_;  // user code -> device key
  std::unordered_map<std::string, code_record> codes_;
};

}  // namespace mh::fake
