// An Exchange-shaped access token for the micro-benchmarks: a v1.0 delegated JWT with the
// claims of exchange-facts §7.3 (header typ, alg, x5t, kid as Entra orders them), about
// 1.5 KB, signed with an RSA key generated once per process (generation is slow).
#pragma once

#include <string>
#include <string_view>

#include "jwt/jwt.hpp"

namespace mh::bench {

inline const jwt::signing_key& bench_key() {
  static const jwt::signing_key k = jwt::signing_key::generate(2048);
  return k;
}

inline nlohmann::ordered_json exchange_header(std::string_view alg) {
  const char* kid = "JDNa_4i4r7FgigL3sHIlI3xV-IU";
  return {{"typ", "JWT"}, {"alg", alg}, {"x5t", kid}, {"kid", kid}};
}

inline nlohmann::ordered_json exchange_claims() {
  const char* tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const char* oid = "6a1b3c5d-7e9f-4a2b-8c4d-6e8f0a1b2c3d";
  nlohmann::ordered_json c;
  c["aud"] = "https://outlook.office.com";
  c["iss"] = std::string("https://sts.windows.net/") + tid + "/";
  c["iat"] = 1727539108;
  c["nbf"] = 1727539108;
  c["exp"] = 1727543008;
  c["acr"] = "1";
  c["aio"] = "AVQAq/8YAAAAsTqZ3kN4mJfE0u2pL9vQeR7wXc1bYh5n";
  c["amr"] = {"pwd", "mfa"};
  c["app_displayname"] = "Contoso Mail Monitor";
  c["appid"] = "9e5f94bc-e8a4-4e73-b8be-63364c29d753";
  c["appidacr"] = "0";
  c["idtyp"] = "user";
  c["ipaddr"] = "203.0.113.9";
  c["name"] = "Alice Wilber";
  c["oid"] = oid;
  c["puid"] = "10032001A2B3C4D5";
  c["rh"] = "0.AXEAv4j5cvGGr0GRqy180BHbR_MYAAAAAAAAwAAAAAAAAAC5AAA.";
  c["scp"] = "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send";
  c["sub"] = "Qm9iIGJ1aWx0IHRoaXMgc3ViamVjdCBpZGVudGlmaWVy";
  c["tid"] = tid;
  c["unique_name"] = "alice@contoso.com";
  c["upn"] = "alice@contoso.com";
  c["uti"] = "kVn2cS3uRkWq8y7Lx1AbAA";
  c["ver"] = "1.0";
  return c;
}

// The signed token ("RS256" or "PS256").
inline std::string exchange_token(std::string_view alg = "RS256") {
  return jwt::encode(exchange_header(alg), exchange_claims(), bench_key());
}

}  // namespace mh::bench
