// Server-side decoding of the OAuth SASL payloads (used by the fake and by compliance
// checks on what clients send). Decoding never fails hard: it reports what it found and
// whether the payload had the canonical form Exchange's clients all send.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mh::sasl {

struct oauth_payload {
  std::string user;            // XOAUTH2 user= / OAUTHBEARER a=
  std::string token;           // the bearer token (a secret: never log it)
  std::string host;            // OAUTHBEARER only
  std::string port;            // OAUTHBEARER only
  bool canonical = false;      // exact "Bearer " casing, ^A separators, final ^A^A
  std::string deviation;       // what was not canonical, for the compliance report
};

// nullopt when the payload is not recognisable at all (no user/auth pair).
std::optional<oauth_payload> decode_xoauth2(std::string_view raw);
std::optional<oauth_payload> decode_oauthbearer(std::string_view raw);

}  // namespace mh::sasl
