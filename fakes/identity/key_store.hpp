// The token-signing key of the fake identity platform: RSA-2048 with a self-signed
// certificate, persisted as PEM in the state dir (<dir>/token-signing.pem and
// <dir>/token-signing-key.pem, the key mode 0600) so tokens survive restarts. As in Entra,
// kid == x5t == base64url SHA-1 thumbprint of the certificate. Publishes the JWKS and hands
// the public key to the fake mail servers, which verify the tokens they are given.
// Immutable after loading; safe to share between threads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "jwt/jwt.hpp"

namespace mh::fake {

class key_store {
 public:
  // Loads the pair from `state_dir`, creating the directory (0700) and a fresh pair when
  // neither file exists. Throws std::runtime_error naming the file on an unreadable, partial
  // or mismatched pair.
  static key_store load_or_create(const std::string& state_dir);

  const std::string& kid() const { return kid_; }
  const jwt::signing_key& signer() const { return key_; }
  jwt::verify_key public_key() const { return key_.public_key(); }
  const std::string& certificate_pem() const { return cert_pem_; }
  // {"keys":[{"kty","use","kid","x5t","n","e","x5c","issuer"}]}, Entra's member order.
  nlohmann::ordered_json jwks(const std::string& issuer) const;

 private:
  key_store(jwt::signing_key key, std::string cert_pem);
  jwt::signing_key key_;
  std::string cert_pem_;
  std::string kid_;
};

}  // namespace mh::fake
