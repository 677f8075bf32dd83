// Proof Key for Code Exchange (RFC 7636) and the `state` value of the authorization request
// (RFC 6749 §10.12): random strings from OpenSSL's CSPRNG (RAND_bytes), the S256 challenge.
// The verifier is a secret until the code is redeemed: it travels as secret_string and never
// appears in messages. Generation fails only when the system random generator does
// (nullopt); callers report that as errc::internal.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace mh::oauth {

inline constexpr std::size_t min_verifier_length = 43;   // RFC 7636 §4.1
inline constexpr std::size_t max_verifier_length = 128;
inline constexpr std::size_t default_verifier_length = 64;

// `length` characters (clamped to 43..128), uniformly from the unreserved set
// A-Z a-z 0-9 - . _ ~ .
std::optional<secret_string> make_code_verifier(std::size_t length = default_verifier_length);
// BASE64URL(SHA-256(ASCII(verifier))), no padding (RFC 7636 §4.2, S256).
std::string code_challenge_s256(std::string_view verifier);
// Whether `v` is a syntactically valid verifier (length and character set).
bool valid_code_verifier(std::string_view v);
// 32 base64url characters (192 random bits) for the `state` parameter.
std::optional<std::string> make_state();

struct pkce_pair {
  secret_string verifier;
  std::string challenge;  // S256
};
std::optional<pkce_pair> make_pkce(std::size_t length = default_verifier_length);

}  // namespace mh::oauth
