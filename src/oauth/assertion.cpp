#include "oauth/assertion.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "jwt/jwt.hpp"

namespace mh::oauth {
namespace {

// The first PEM block of `type` ("CERTIFICATE", "PRIVATE KEY", "RSA PRIVATE KEY") in text.
std::string pem_block(const std::string& text, const std::string& type) {
  std::string begin = "-----BEGIN " + type + "-----";
  std::string end = "-----END " + type + "-----";
  auto b = text.find(begin);
  if (b == std::string::npos) return {};
  auto e = text.find(end, b);
  if (e == std::string::npos) return {};
  return text.substr(b, e + end.size() - b) + "\n";
}

}  // namespace

std::string random_guid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::optional<certificate_credential> load_certificate(const std::string& cert_file,
                                                       const std::string& key_file,
                                                       std::string* why) {
  auto cert_text = read_file_bounded(cert_file, 1 << 20, why);
  if (!cert_text) return std::nullopt;
  certificate_credential c;
  c.cert_pem = pem_block(*cert_text, "CERTIFICATE");
  if (c.cert_pem.empty()) {
    *why = cert_file + " holds no PEM certificate";
    return std::nullopt;
  }
  secret_string key_text(key_file.empty() || key_file == cert_file
                             ? std::move(*cert_text)
                             : std::string());
  if (key_text.empty()) {
    auto k = read_file_bounded(key_file, 1 << 20, why);
    if (!k) return std::nullopt;
    key_text = secret_string(std::move(*k));
  }
  std::string src = key_file.empty() ? cert_file : key_file;
  std::string text(key_text.reveal());
  std::string key = pem_block(text, "PRIVATE KEY");
  if (key.empty()) key = pem_block(text, "RSA PRIVATE KEY");
  std::fill(text.begin(), text.end(), '\0');
  if (key.empty()) {
    *why = src + " holds no unencrypted PEM private key";
    return std::nullopt;
  }
  c.key_pem = secret_string(std::move(key));
  return c;
}

std::optional<secret_string> make_client_assertion(const certificate_credential& c,
                                                   const std::string& client_id,
                                                   const std::string& audience, std::int64_t now,
                                                   std::string* why, int lifetime_s) {
  if (c.alg != "PS256" && c.alg != "RS256") {
    *why = "assertion algorithm must be PS256 or RS256, not " + c.alg;
    return std::nullopt;
  }
  std::string s256 = jwt::x5t_sha256(c.cert_pem);
  if (s256.empty()) {
    *why = "the client certificate is not a valid PEM certificate";
    return std::nullopt;
  }
  nlohmann::ordered_json header = {{"alg", c.alg}, {"typ", "JWT"}, {"x5t#S256", s256}};
  if (c.alg == "RS256") header["x5t"] = jwt::x5t_sha1(c.cert_pem);  // older Entra samples
  nlohmann::ordered_json claims = {{"aud", audience}, {"iss", client_id},  {"sub", client_id},
                                   {"jti", random_guid()}, {"nbf", now}, {"iat", now},
                                   {"exp", now + lifetime_s}};
  try {
    auto key = jwt::signing_key::from_pem(std::string(c.key_pem.reveal()));
    return secret_string(jwt::encode(header, claims, key));
  } catch (const std::exception& e) {
    *why = std::string("cannot sign the client assertion: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace mh::oauth
