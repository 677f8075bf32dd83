// The token cache: one JSON file (format "mailharness.token-cache/1") of entries keyed by
// authority, tenant, client id, scopes (order-insensitive) and account.
//
// Contract:
// - The file is created with mode 0600 and replaced atomically (temporary + fsync + rename);
//   it is never chmod-ed, never written in place.
// - Every update holds flock(LOCK_EX) on "<file>.lock" for its read-modify-write, so two
//   processes updating at once lose nothing.
// - A file that is not valid JSON in this format (corrupt, truncated, foreign) is refused
//   with errc::cache_unusable and a message naming the file; it is never half-read and never
//   overwritten. A missing file is an empty cache.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/secret.hpp"

namespace mh::oauth {

struct cache_key {
  std::string authority;
  std::string tenant;
  std::string client_id;
  std::string scopes;   // space-separated; normalised (lower-case, sorted, unique) in id()
  std::string account;  // UPN for delegated flows; empty for app-only
  std::string id() const;
};

struct cache_entry {
  secret_string access_token;
  std::int64_t expires_at = 0;               // unix seconds
  std::optional<std::int64_t> refresh_at;    // from refresh_in
  secret_string refresh_token;
  std::string scope;                         // as granted
  std::int64_t obtained_at = 0;
};

class token_cache {
 public:
  explicit token_cache(std::string path);
  const std::string& path() const { return path_; }

  // The entry for `k`, nullopt if none. Error (cache_unusable) if the file is unusable.
  std::error_code load(const cache_key& k, std::optional<cache_entry>& out, std::string* why) const;
  // Stores `e` for `k` under the lock, keeping every other entry.
  std::error_code store(const cache_key& k, const cache_entry& e, std::string* why);
  // Removes the entry for `k` (e.g. a refresh token the server rejected).
  std::error_code erase(const cache_key& k, std::string* why);

 private:
  std::error_code update(const std::function<void(nlohmann::json& entries)>& edit, std::string* why);
  std::string path_;
};

}  // namespace mh::oauth
