#include "core/redact.hpp"

#include <openssl/sha.h>

#include <algorithm>

#include "core/base64.hpp"

namespace mh {

std::string fingerprint(std::string_view secret) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), md);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (int i = 0; i < 4; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

void redactor::add_exact(std::string_view secret, std::string stand_in) {
  if (secret.size() < 4) return;
  for (const auto& it : items_)
    if (it.secret == secret) return;
  items_.push_back({std::string(secret), std::move(stand_in)});
  std::stable_sort(items_.begin(), items_.end(), [](const item& a, const item& b) {
    return a.secret.size() > b.secret.size();
  });
}

void redactor::add(std::string_view secret, std::string_view label) {
  std::string stand_in = "<" + std::string(label) + " " + fingerprint(secret) + ">";
  add_exact(secret, stand_in);
  add_exact(base64_encode(secret), stand_in);
  add_exact(base64url_encode(secret), stand_in);
}

std::string redactor::apply(std::string_view text) const {
  std::string out(text);
  for (const auto& it : items_) {
    std::size_t pos = 0;
    while ((pos = out.find(it.secret, pos)) != std::string::npos) {
      out.replace(pos, it.secret.size(), it.stand_in);
      pos += it.stand_in.size();
    }
  }
  return out;
}

}  // namespace mh
