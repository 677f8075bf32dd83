// Client assertions for certificate credentials (private_key_jwt, exchange-facts §5.3):
// header {alg, typ "JWT", x5t#S256 (and x5t for RS256)}, claims aud = token endpoint,
// iss = sub = client id, jti = random GUID, nbf, iat, exp = nbf + lifetime.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/secret.hpp"

namespace mh::oauth {

struct certificate_credential {
  std::string cert_pem;     // the certificate registered on the app
  secret_string key_pem;    // its RSA private key
  std::string alg = "PS256";  // or RS256
};

// Reads a PEM file holding the certificate and the key (AZURE_CLIENT_CERTIFICATE_PATH), or
// two files. nullopt with *why (naming the file) when a part is missing or unreadable.
std::optional<certificate_credential> load_certificate(const std::string& cert_file,
                                                       const std::string& key_file,
                                                       std::string* why);

std::string random_guid();

// The signed assertion; nullopt with *why if the key or certificate is unusable or the
// algorithm is not PS256/RS256.
std::optional<secret_string> make_client_assertion(const certificate_credential& c,
                                                   const std::string& client_id,
                                                   const std::string& audience, std::int64_t now,
                                                   std::string* why, int lifetime_s = 600);

}  // namespace mh::oauth
