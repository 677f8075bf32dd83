// JSON Web Tokens (RFC 7519) as the Microsoft identity platform uses them: compact JWS with
// RS256 or PS256 (RFC 7518), JWKS publication (RFC 7517), certificate thumbprints for
// `x5t` / `x5t#S256`. Decoding for inspection never verifies; verification is explicit.
// Errors are values: decode() returns nullopt with a reason, verify() returns false.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mh::jwt {

struct token_parts {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;  // "<b64url header>.<b64url claims>"
  std::string signature;      // raw signature bytes
};

// Splits and decodes a compact JWS. nullopt (with *why set) for opaque tokens, bad base64url
// or JSON that is not an object. Bounded: tokens over 64 KiB are refused.
std::optional<token_parts> decode(std::string_view compact, std::string* why = nullptr);

class verify_key;

// An RSA private key that signs tokens.
class signing_key {
 public:
  static signing_key generate(int bits = 2048);
  static signing_key from_pem(const std::string& pem);  // throws std::runtime_error
  std::string private_pem() const;
  std::string public_pem() const;
  // RS256 (PKCS#1 v1.5) or PS256 (PSS, salt = hash length) over SHA-256.
  std::string sign(std::string_view alg, std::string_view input) const;
  // {"kty":"RSA","use":"sig","kid":kid,"n":…,"e":…}
  nlohmann::json public_jwk(const std::string& kid) const;
  verify_key public_key() const;
  void* native() const { return key_.get(); }  // EVP_PKEY*

 private:
  std::shared_ptr<void> key_;
};

// A public key that verifies signatures: from a JWK, a PEM public key or a PEM certificate.
class verify_key {
 public:
  static std::optional<verify_key> from_jwk(const nlohmann::json& jwk);
  static std::optional<verify_key> from_pem(const std::string& pem);  // key or certificate
  bool verify(std::string_view alg, std::string_view input, std::string_view signature) const;

 private:
  friend class signing_key;
  std::shared_ptr<void> key_;
};

// header must carry "alg" (RS256 or PS256); throws std::invalid_argument otherwise.
std::string encode(const nlohmann::json& header, const nlohmann::json& claims,
                   const signing_key& key);
// The same, keeping member order as given (Entra's header order is typ, alg, x5t, kid).
std::string encode(const nlohmann::ordered_json& header, const nlohmann::ordered_json& claims,
                   const signing_key& key);
bool verify(const token_parts& t, const verify_key& key);
// The two halves of encode(), for signing later or elsewhere: "<header>.<claims>" in
// base64url, then that input with "." and its signature appended.
std::string signing_input(const nlohmann::ordered_json& header, const nlohmann::ordered_json& claims);
std::string append_signature(std::string input, std::string_view alg, const signing_key& key);

// base64url thumbprints of the DER certificate in `cert_pem` (SHA-1 for x5t, SHA-256 for
// x5t#S256); empty on a malformed certificate.
std::string x5t_sha1(const std::string& cert_pem);
std::string x5t_sha256(const std::string& cert_pem);
// The DER bytes of the (first) certificate in `cert_pem` (JWKS `x5c` is their base64);
// nullopt on a malformed certificate.
std::optional<std::string> cert_der(const std::string& cert_pem);

}  // namespace mh::jwt
