// When a cached access token may still be used (DESIGN §6, exchange-facts §3.3): only while
// more than `margin` of its lifetime is left — Exchange's HVE endpoint rejects tokens with
// less than about 10 minutes left, so the default margin is 10 minutes — and, when the
// server sent refresh_in, only until that point.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace mh::oauth {

struct refresh_policy {
  std::chrono::seconds margin{600};
};

inline bool token_usable(std::int64_t now, std::int64_t expires_at,
                         std::optional<std::int64_t> refresh_at, const refresh_policy& p) {
  if (refresh_at && now >= *refresh_at) return false;
  return expires_at - now > p.margin.count();
}

}  // namespace mh::oauth
