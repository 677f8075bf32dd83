#include "identity/client_auth.hpp"

#include <openssl/crypto.h>

#include "core/base64.hpp"
#include "identity/ids.hpp"
#include "identity/scopes.hpp"
#include "jwt/jwt.hpp"

namespace mh::fake {
namespace {

constexpr std::string_view jwt_bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr std::int64_t clock_skew_s = 300;

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_upper(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

outcome<client_identity> check_secret(const app& a, std::string_view secret, std::int64_t now) {
  for (const auto& s : a.secrets) {
    if (!same_secret(s.value.reveal(), secret)) continue;
    if (s.expires != 0 && s.expires <= now) return aadsts::expired_client_secret(a.client_id);
    return client_identity{&a, "1"};
  }
  return aadsts::invalid_client_secret(a.client_id);
}

bool claim_is(const nlohmann::json& claims, const char* name, std::string_view expected) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() && it->get<std::string>() == expected;
}

std::optional<std::int64_t> number_claim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<std::int64_t>()
                                 : static_cast<std::int64_t>(it->get<double>());
}

outcome<client_identity> check_assertion(const app& a, std::string_view assertion,
                                         const client_auth_input& in) {
  auto t = jwt::decode(assertion);
  if (!t) return aadsts::assertion_malformed();
  std::string alg = t->header.value("alg", "");
  if (alg != "RS256" && alg != "PS256") return aadsts::assertion_malformed();
  // Which certificate: x5t#S256 (current docs) or x5t (older samples).
  std::string x5t = t->header.contains("x5t") && t->header["x5t"].is_string()
                        ? t->header["x5t"].get<std::string>() : "";
  std::string x5t256 = t->header.contains("x5t#S256") && t->header["x5t#S256"].is_string()
                           ? t->header["x5t#S256"].get<std::string>() : "";
  if (x5t.empty() && x5t256.empty()) return aadsts::assertion_malformed();
  // Compared as bytes: MSAL for Python sends x5t base64url *with* '=' padding.
  std::string thumb_bytes = base64url_decode(x5t256.empty() ? x5t : x5t256).value_or("");
  std::string thumb = hex_upper(thumb_bytes);
  const client_certificate* cert = nullptr;
  for (const auto& c : a.certificates) {
    const std::string& mine = x5t256.empty() ? c.x5t : c.x5t_s256;
    if (!thumb_bytes.empty() && base64url_decode(mine) == thumb_bytes) cert = &c;
  }
  if (!cert) return aadsts::assertion_key_not_registered(thumb, a.client_id);
  if (cert->expires != 0 && cert->expires <= in.now) return aadsts::assertion_key_expired(thumb);
  auto key = jwt::verify_key::from_pem(cert->pem);
  if (!key || !jwt::verify(*t, *key)) return aadsts::assertion_bad_signature(thumb);
  // Claims are checked after the signature, as only then are they the client's.
  const auto& c = t->claims;
  if (!claim_is(c, "iss", a.client_id) || !claim_is(c, "sub", a.client_id))
    return aadsts::assertion_malformed();
  bool aud_ok = false;
  for (const auto& aud : in.assertion_audiences) aud_ok |= claim_is(c, "aud", aud);
  if (!aud_ok) return aadsts::assertion_audience();
  auto exp = number_claim(c, "exp");
  if (!exp) return aadsts::assertion_malformed();
  auto nbf = number_claim(c, "nbf").value_or(number_claim(c, "iat").value_or(0));
  if (*exp + clock_skew_s <= in.now || nbf - clock_skew_s > in.now)
    return aadsts::assertion_time_range(in.now, nbf, *exp);
  return client_identity{&a, "2"};
}

}  // namespace

outcome<const app*> find_client(const tenant& t, std::string_view client_id) {
  if (client_id.empty()) return aadsts::missing_parameter("client_id");
  if (const app* a = t.find_app(client_id)) return a;
  const std::string& dir = t.display_name.empty() ? t.domain : t.display_name;
  return is_guid(client_id) ? aadsts::app_not_found(client_id, dir)
                            : aadsts::app_id_malformed(client_id);
}

outcome<client_identity> authenticate_client(const tenant& t, const client_auth_input& in) {
  const form_params& f = *in.form;
  std::string client_id = f.value("client_id");
  if (client_id.empty() && in.basic) client_id = in.basic->id;
  auto found = find_client(t, client_id);
  if (auto e = error_of(found)) return *e;
  const app* a = value_of(found);
  const std::string* body_secret = f.get("client_secret");
  const std::string* assertion = f.get("client_assertion");
  int credentials = (body_secret ? 1 : 0) + (assertion ? 1 : 0) + (in.basic ? 1 : 0);
  if (credentials > 1) return aadsts::conflicting_credentials();
  // The Basic identity must be the client the body names, or the secret is for another app.
  if (in.basic && !iequal(in.basic->id, a->client_id)) return aadsts::invalid_client_secret(a->client_id);
  if (in.public_allowed && a->public_client) {
    if (credentials) return aadsts::public_client_credential();
    return client_identity{a, "0"};
  }
  if (!credentials) return aadsts::missing_client_credential();
  if (assertion) {
    if (f.value("client_assertion_type") != jwt_bearer)
      return aadsts::missing_parameter("client_assertion_type");
    return check_assertion(*a, *assertion, in);
  }
  return check_secret(*a, body_secret ? std::string_view(*body_secret) : in.basic->secret, in.now);
}

}  // namespace mh::fake
