// Client-assertion validation of the fake identity platform on its own
// (fakes/identity/client_auth.*: authenticate_client with a private_key_jwt credential), for
// the "good" app of the demo tenant with the fuzz-only certificate of fake_server_env.hpp
// registered, at the fixed clock. Input: one selector byte, then the client_assertion.
//   selector bits 0-1: the {tenant} segment the request came in on (tenant id, domain,
//                      common, organizations), which sets the accepted audiences;
//   bit 2: a wrong client_assertion_type; bit 3: a client_secret as well (two credentials);
//   bit 4: the request names the public client app (no certificate) instead.
// Seeds are assertions signed with that key (fuzz/make_identity_seeds.py).
// Invariants:
//   - a refusal is an error with status 400 or 401, error and text non-empty, and an AADSTS
//     code unless it is the fake-only "two credentials" error (code 0);
//   - acceptance means certificate authentication (appidacr "2") of the app named, and the
//     assertion passes an independent check written here: a compact JWS whose RS256/PS256
//     signature verifies with the certificate's key, iss = sub = client id, aud one of the
//     token endpoints of the segment, exp + 300 s after now and nbf - 300 s not after it;
//   - conversely, an assertion passing that check with a matching x5t / x5t#S256 header is
//     accepted (when nothing else in the request is wrong).
// fuzz-runs: 12000
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "fake_server_env.hpp"
#include "identity/client_auth.hpp"

namespace {

using namespace mh;

constexpr std::string_view public_client_id = "a1b2c3d4-0002-4000-8000-000000000002";

std::vector<std::string> audiences(std::string_view segment, const fake::tenant& t) {
  std::vector<std::string> out;
  // token_service::assertion_audiences with the fake's base URL as https://localhost.
  for (std::string host : {std::string("https://localhost"), std::string("https://login.microsoftonline.com")})
    for (std::string_view tn : {segment, std::string_view(t.tenant_id), std::string_view(t.domain)})
      for (std::string_view path : {"/oauth2/v2.0/token", "/oauth2/token"})
        out.push_back(host + "/" + std::string(tn) + std::string(path));
  return out;
}

std::optional<std::int64_t> number(const nlohmann::json& c, const char* name) {
  auto it = c.find(name);
  if (it == c.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<std::int64_t>() : static_cast<std::int64_t>(it->get<double>());
}

bool string_is(const nlohmann::json& c, const char* name, std::string_view v) {
  auto it = c.find(name);
  return it != c.end() && it->is_string() && it->get<std::string>() == v;
}

// The independent check; `thumb_ok` also requires a header thumbprint naming the certificate.
bool reference_valid(std::string_view assertion, const std::vector<std::string>& auds,
                     bool& thumb_ok) {
  thumb_ok = false;
  auto t = jwt::decode(assertion);
  if (!t || !t->header.is_object()) return false;
  auto alg = t->header.find("alg");
  if (alg == t->header.end() || !alg->is_string()) return false;
  if (*alg != "RS256" && *alg != "PS256") return false;
  static const auto key = jwt::verify_key::from_pem(std::string(fuzz::fuzz_client_cert_pem));
  if (!key || !jwt::verify(*t, *key)) return false;
  const auto& c = t->claims;
  if (!string_is(c, "iss", fuzz::good_client_id) || !string_is(c, "sub", fuzz::good_client_id)) return false;
  bool aud_ok = false;
  for (const auto& a : auds) aud_ok |= string_is(c, "aud", a);
  auto exp = number(c, "exp");
  if (!aud_ok || !exp) return false;
  auto nbf = number(c, "nbf").value_or(number(c, "iat").value_or(0));
  if (*exp + 300 <= fuzz::fixed_now || nbf - 300 > fuzz::fixed_now) return false;
  static const std::string s1 = jwt::x5t_sha1(std::string(fuzz::fuzz_client_cert_pem));
  static const std::string s256 = jwt::x5t_sha256(std::string(fuzz::fuzz_client_cert_pem));
  auto h256 = t->header.find("x5t#S256");
  auto h1 = t->header.find("x5t");
  if (h256 != t->header.end() && h256->is_string() && !h256->get<std::string>().empty())
    thumb_ok = base64url_decode(h256->get<std::string>()) == base64url_decode(s256);
  else if (h1 != t->header.end() && h1->is_string())
    thumb_ok = base64url_decode(h1->get<std::string>()) == base64url_decode(s1);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const fake::tenant& t = fuzz::fuzz_tenant();
  std::uint8_t sel = data[0];
  std::string assertion(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr std::string_view segments[] = {"", "contoso.onmicrosoft.com", "common", "organizations"};
  std::string segment(segments[sel & 3]);
  if (segment.empty()) segment = t.tenant_id;
  bool wrong_type = sel & 4, with_secret = sel & 8, public_app = sel & 16;
  std::string_view client_id = public_app ? public_client_id : fuzz::good_client_id;

  fake::form_params form;
  form.add("client_id", std::string(client_id));
  form.add("client_assertion_type", wrong_type ? "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
                                               : "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  form.add("client_assertion", assertion);
  if (with_secret) form.add("client_secret", "demo~good~secret~Q8vR2pX7");
  fake::client_auth_input in;
  in.form = &form;
  in.assertion_audiences = audiences(segment, t);
  in.now = fuzz::fixed_now;
  auto r = fake::authenticate_client(t, in);

  bool thumb_ok = false;
  bool valid = reference_valid(assertion, in.assertion_audiences, thumb_ok);
  if (const fake::aad_error* e = fake::error_of(r)) {
    if (std::getenv("MH_FUZZ_TRACE")) std::fprintf(stderr, "AADSTS%d %s\n", e->code, e->text.c_str());
    if ((e->status != 400 && e->status != 401) || e->error.empty() || e->text.empty()) __builtin_trap();
    if (e->code == 0 && !with_secret) __builtin_trap();  // code 0: the fake-only protocol errors
    if (valid && thumb_ok && !wrong_type && !with_secret && !public_app) __builtin_trap();
    return 0;
  }
  const auto& id = fake::value_of(r);
  if (!id.a || id.a->client_id != client_id || id.appidacr != "2") __builtin_trap();
  if (!valid || wrong_type || with_secret || public_app) __builtin_trap();
  return 0;
}
