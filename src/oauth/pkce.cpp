#include "oauth/pkce.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>

#include "core/base64.hpp"

namespace mh::oauth {
namespace {

constexpr std::string_view unreserved =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

bool is_unreserved(char c) { return unreserved.find(c) != std::string_view::npos; }

}  // namespace

std::optional<secret_string> make_code_verifier(std::size_t length) {
  length = std::clamp(length, min_verifier_length, max_verifier_length);
  // Rejection sampling keeps every character equally likely: 66 * 3 = 198 of the 256 byte
  // values map to a character, the rest are drawn again.
  constexpr unsigned limit = 3 * unreserved.size();
  std::string out;
  out.reserve(length);
  std::array<unsigned char, 64> buf{};
  while (out.size() < length) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      OPENSSL_cleanse(out.data(), out.size());
      return std::nullopt;
    }
    for (unsigned char b : buf)
      if (b < limit && out.size() < length) out += unreserved[b % unreserved.size()];
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  return secret_string(std::move(out));
}

std::string code_challenge_s256(std::string_view verifier) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(verifier.data(), verifier.size(), md, &n, EVP_sha256(), nullptr);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

bool valid_code_verifier(std::string_view v) {
  return v.size() >= min_verifier_length && v.size() <= max_verifier_length &&
         std::all_of(v.begin(), v.end(), is_unreserved);
}

std::optional<std::string> make_state() {
  std::array<unsigned char, 24> buf{};
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return std::nullopt;
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(buf.data()), buf.size()));
}

std::optional<pkce_pair> make_pkce(std::size_t length) {
  auto v = make_code_verifier(length);
  if (!v) return std::nullopt;
  pkce_pair p;
  p.challenge = code_challenge_s256(v->reveal());
  p.verifier = std::move(*v);
  return p;
}

}  // namespace mh::oauth
