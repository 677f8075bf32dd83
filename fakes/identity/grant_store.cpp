#include "identity/grant_store.hpp"

#include <algorithm>
#include <cctype>

#include "identity/ids.hpp"

namespace mh::fake {
namespace {

// Drops expired entries, then (still over the cap) the ones expiring first.
template <class Map, class OnErase>
void purge(Map& m, std::int64_t now, OnErase on_erase) {
  if (m.size() < grant_store::max_entries) return;
  std::erase_if(m, [&](const auto& kv) {
    bool gone = kv.second.expires_at <= now;
    if (gone) on_erase(kv.second);
    return gone;
  });
  while (m.size() >= grant_store::max_entries) {
    auto oldest = std::min_element(m.begin(), m.end(), [](const auto& a, const auto& b) {
      return a.second.expires_at < b.second.expires_at;
    });
    on_erase(oldest->second);
    m.erase(oldest);
  }
}

}  // namespace

std::string grant_store::add_refresh(refresh_record r) {
  if (refresh_.size() >= max_entries) {
    // Superseded tokens go first, then the least recently used.
    auto victim = std::min_element(refresh_.begin(), refresh_.end(), [](const auto& a, const auto& b) {
      bool ra = a.second.rotated_at != 0, rb = b.second.rotated_at != 0;
      if (ra != rb) return ra;
      return a.second.last_used_at < b.second.last_used_at;
    });
    refresh_.erase(victim);
  }
  // Entra refresh tokens are long opaque strings starting "0.A".
  std::string token = random_token("0.A", 96);
  refresh_.emplace(sha256_hex(token), std::move(r));
  return token;
}

refresh_record* grant_store::find_refresh(std::string_view token) {
  auto it = refresh_.find(sha256_hex(token));
  return it == refresh_.end() ? nullptr : &it->second;
}

std::string grant_store::add_device(device_record r, std::int64_t now) {
  purge(devices_, now, [this](const device_record& d) { user_codes_.erase(d.user_code); });
  std::string code = random_token("DAQABAAEAAAD", 48);
  do {
    r.user_code = random_user_code();
  } while (user_codes_.count(r.user_code));
  std::string key = sha256_hex(code);
  user_codes_[r.user_code] = key;
  devices_.emplace(std::move(key), std::move(r));
  return code;
}

device_record* grant_store::find_device(std::string_view device_code) {
  auto it = devices_.find(sha256_hex(device_code));
  return it == devices_.end() ? nullptr : &it->second;
}

device_record* grant_store::find_device_by_user_code(std::string_view user_code) {
  std::string norm;
  for (char c : user_code)
    if (c != '-' && c != ' ') norm += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto it = user_codes_.find(norm);
  if (it == user_codes_.end()) return nullptr;
  auto d = devices_.find(it->second);
  return d == devices_.end() ? nullptr : &d->second;
}

std::string grant_store::add_code(code_record r, std::int64_t now) {
  purge(codes_, now, [](const code_record&) {});
  std::string code = random_token("0.A", 64);
  codes_.emplace(sha256_hex(code), std::move(r));
  return code;
}

code_record* grant_store::find_code(std::string_view code) {
  auto it = codes_.find(sha256_hex(code));
  return it == codes_.end() ? nullptr : &it->second;
}

}  // namespace mh::fake
