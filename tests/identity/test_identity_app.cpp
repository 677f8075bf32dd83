// client_credentials and client authentication: secrets in the body or HTTP Basic,
// certificate assertions (RS256/PS256, x5t/x5t#S256), app-only token claims, and every
// AADSTS error of this path with its status, error, error_codes and trailer.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/redact.hpp"
#include "identity/http_form.hpp"
#include "identity/ids.hpp"
#include "identity_env.hpp"
#include "jwt/jwt.hpp"

using namespace mh;
using namespace mh::test;
namespace idp = mh::test::idp;

namespace {

params cc(std::string scope = "https://outlook.office365.com/.default",
          std::string secret = idp::good_secret, std::string client = idp::good_app) {
  return {{"client_id", client}, {"client_secret", secret}, {"scope", scope},
          {"grant_type", "client_credentials"}};
}

std::string desc(const http_result& r) { return r.json().value("error_description", ""); }

// A client assertion signed with `key_pem`, naming the test client certificate.
std::string assertion(identity_env& env, const std::string& alg, bool sha256_thumbprint,
                      const nlohmann::json& claim_overrides = {},
                      const std::string& key_pem = identity_material::get().client_key_pem) {
  const auto& m = identity_material::get();
  nlohmann::json h = {{"alg", alg}, {"typ", "JWT"}};
  if (sha256_thumbprint)
    h["x5t#S256"] = jwt::x5t_sha256(m.client_cert_pem);
  else
    h["x5t"] = jwt::x5t_sha1(m.client_cert_pem);
  std::int64_t now = env.now;
  nlohmann::json c = {{"aud", env.server().token_endpoint()},
                      {"iss", idp::good_app},
                      {"sub", idp::good_app},
                      {"jti", fake::random_guid()},
                      {"nbf", now},
                      {"iat", now},
                      {"exp", now + 600}};
  for (auto it = claim_overrides.begin(); it != claim_overrides.end(); ++it) c[it.key()] = it.value();
  return jwt::encode(h, c, jwt::signing_key::from_pem(key_pem));
}

params with_assertion(const std::string& a) {
  return {{"client_id", idp::good_app},
          {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
          {"client_assertion", a},
          {"scope", "https://outlook.office365.com/.default"},
          {"grant_type", "client_credentials"}};
}

}  // namespace

TEST(IdentityClientCredentials, SecretInBodyIssuesAnAppOnlyExchangeToken) {
  identity_env env;
  auto r = env.token(cc());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store, no-cache");
  EXPECT_EQ(r.header("pragma"), "no-cache");
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_TRUE(fake::is_guid(r.header("x-ms-request-id")));
  auto body = nlohmann::ordered_json::parse(r.body);
  std::vector<std::string> order;
  for (auto it = body.begin(); it != body.end(); ++it) order.push_back(it.key());
  EXPECT_EQ(order, (std::vector<std::string>{"token_type", "expires_in", "ext_expires_in", "access_token"}));
  EXPECT_EQ(body["token_type"], "Bearer");
  ASSERT_TRUE(body["expires_in"].is_number_integer());
  std::int64_t expires_in = body["expires_in"];
  EXPECT_GE(expires_in, env.tenant.tokens.lifetime_min_s);
  EXPECT_LE(expires_in, env.tenant.tokens.lifetime_max_s);

  std::string at = body["access_token"];
  auto t = jwt::decode(at);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->header.dump(), nlohmann::json({{"typ", "JWT"}, {"alg", "RS256"}, {"x5t", env.keys().kid()},
                                              {"kid", env.keys().kid()}}).dump());
  EXPECT_EQ(at.substr(0, at.find('.')),
            base64url_encode(R"({"typ":"JWT","alg":"RS256","x5t":")" + env.keys().kid() +
                             R"(","kid":")" + env.keys().kid() + R"("})"));
  auto c = env.verified_claims(at);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["aud"], "https://outlook.office365.com");
  EXPECT_EQ((*c)["iss"], std::string("https://sts.windows.net/") + idp::tenant_id + "/");
  EXPECT_EQ((*c)["iss"], env.server().access_token_issuer());
  EXPECT_EQ((*c)["tid"], idp::tenant_id);
  EXPECT_EQ((*c)["appid"], idp::good_app);
  EXPECT_EQ((*c)["appidacr"], "1");
  EXPECT_EQ((*c)["oid"], idp::good_sp);
  EXPECT_EQ((*c)["sub"], idp::good_sp);
  EXPECT_EQ((*c)["idtyp"], "app");
  EXPECT_EQ((*c)["ver"], "1.0");
  EXPECT_EQ((*c)["roles"], nlohmann::json({"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"}));
  EXPECT_EQ((*c)["iat"], env.now - 300);
  EXPECT_EQ((*c)["nbf"], env.now - 300);
  EXPECT_EQ((*c)["exp"], env.now + expires_in);
  EXPECT_FALSE(c->contains("scp"));
  EXPECT_FALSE(c->contains("upn"));

  auto ev = env.events_of("token.issued");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["grant"], "client_credentials");
  EXPECT_EQ(ev[0]["client_id"], idp::good_app);
  EXPECT_EQ(ev[0]["outcome"], "issued");
  EXPECT_EQ(ev[0]["token"], fingerprint(at));
  EXPECT_EQ(ev[0]["lifetime_s"], expires_in);
  EXPECT_EQ(env.events_dump().find(idp::good_secret), std::string::npos);
  EXPECT_EQ(env.events_dump().find(at), std::string::npos);
}

TEST(IdentityClientCredentials, SecretByHttpBasicIsFormDecoded) {
  identity_env env;
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64 ("~" sent as %7E).
  std::string secret = idp::good_secret;
  std::string encoded = secret.replace(secret.find('~'), 1, "%7E");
  std::string basic = base64_encode(std::string(idp::good_app) + ":" + encoded);
  auto r = env.token({{"scope", "https://outlook.office365.com/.default"}, {"grant_type", "client_credentials"}},
                     idp::tenant_id, {"Authorization: Basic " + basic});
  ASSERT_EQ(r.status, 200) << r.body;
  auto wrong = base64_encode(std::string(idp::good_app) + ":nope");
  expect_aadsts(env.token({{"scope", "https://outlook.office365.com/.default"}, {"grant_type", "client_credentials"}},
                          idp::tenant_id, {"Authorization: Basic " + wrong}),
                401, "invalid_client", 7000215);
  // Two credentials at once is a malformed request.
  auto both = env.token(cc(), idp::tenant_id, {"Authorization: Basic " + basic});
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(both.json()["error"], "invalid_request");
}

TEST(IdentityClientCredentials, ResourceSpellingsBecomeTheAudience) {
  identity_env env;
  auto aud = [&](const std::string& scope) {
    auto r = env.token(cc(scope));
    EXPECT_EQ(r.status, 200) << scope << " " << r.body;
    auto c = env.verified_claims(r.json().value("access_token", ""));
    return c ? *c : nlohmann::json::object();
  };
  EXPECT_EQ(aud("https://outlook.office.com/.default")["aud"], "https://outlook.office.com");
  EXPECT_EQ(aud("https://outlook.office365.com//.default")["aud"], "https://outlook.office365.com");
  EXPECT_EQ(aud("https://ps.outlook.com/.default")["aud"], "https://ps.outlook.com");
  auto graph = aud("https://graph.microsoft.com/.default");
  EXPECT_EQ(graph["aud"], "https://graph.microsoft.com");
  EXPECT_FALSE(graph.contains("roles"));  // no Exchange roles on a Graph token
}

TEST(IdentityClientCredentials, WithoutAdminConsentTheTokenHasNoRoles) {
  identity_env env;
  auto r = env.token(cc("https://outlook.office365.com/.default", idp::good_secret, idp::no_consent_app));
  ASSERT_EQ(r.status, 200) << r.body;
  auto c = env.verified_claims(r.json()["access_token"]);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->contains("roles"));
  EXPECT_EQ((*c)["appid"], idp::no_consent_app);
}

TEST(IdentityClientCredentials, SecretErrors) {
  identity_env env;
  auto r = env.token(cc("https://outlook.office365.com/.default", "wrong"),
                     idp::tenant_id, {"client-request-id: 0f0e0d0c-0b0a-4909-8807-060504030201"});
  auto j = expect_aadsts(r, 401, "invalid_client", 7000215);
  EXPECT_EQ(j["correlation_id"], "0f0e0d0c-0b0a-4909-8807-060504030201");
  EXPECT_EQ(r.header("client-request-id"), "0f0e0d0c-0b0a-4909-8807-060504030201");
  EXPECT_NE(desc(r).find(std::string("for a secret added to app '") + idp::good_app + "'."), std::string::npos);
  EXPECT_EQ(desc(r).find("wrong"), std::string::npos);
  // The secret's ID pasted instead of its value.
  expect_aadsts(env.token(cc("https://outlook.office365.com/.default", idp::good_secret_id)), 401,
                "invalid_client", 7000215);
  expect_aadsts(env.token(cc("https://outlook.office365.com/.default", idp::expired_secret)), 401,
                "invalid_client", 7000222);
  expect_aadsts(env.token({{"client_id", idp::good_app}, {"scope", "https://outlook.office365.com/.default"},
                           {"grant_type", "client_credentials"}}),
                401, "invalid_client", 7000218);
  auto ev = env.events_of("token.error");
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0]["outcome"], "AADSTS7000215");
  EXPECT_EQ(ev[2]["error_code"], 7000222);
  EXPECT_EQ(env.events_dump().find(idp::expired_secret), std::string::npos);
}

TEST(IdentityClientCredentials, ClientTenantAndGrantErrors) {
  identity_env env;
  auto r = env.token(cc("https://outlook.office365.com/.default", idp::good_secret, idp::unknown_app));
  expect_aadsts(r, 400, "unauthorized_client", 700016);
  EXPECT_NE(desc(r).find("was not found in the directory 'Contoso'"), std::string::npos);
  expect_aadsts(env.token(cc("https://outlook.office365.com/.default", idp::good_secret, "not-a-guid")), 400,
                "unauthorized_client", 700038);
  expect_aadsts(env.token(cc(), "common"), 400, "invalid_request", 9001023);
  expect_aadsts(env.token(cc(), "organizations"), 400, "invalid_request", 9001023);
  EXPECT_EQ(env.token(cc(), idp::domain).status, 200);  // the domain is as good as the id
  expect_aadsts(env.token({{"client_id", idp::good_app}}), 400, "invalid_request", 900144);
  auto missing_scope = env.token({{"client_id", idp::good_app}, {"client_secret", idp::good_secret},
                                  {"grant_type", "client_credentials"}});
  expect_aadsts(missing_scope, 400, "invalid_request", 900144);
  EXPECT_NE(desc(missing_scope).find("parameter: 'scope'"), std::string::npos);
  expect_aadsts(env.token({{"client_secret", idp::good_secret}, {"grant_type", "client_credentials"}}), 400,
                "invalid_request", 900144);
  expect_aadsts(env.token({{"grant_type", "urn:ietf:params:oauth:grant-type:saml1_1-bearer"}}), 400,
                "unsupported_grant_type", 70003);
}

TEST(IdentityClientCredentials, ScopeErrors) {
  identity_env env;
  auto r = env.token(cc("https://outlook.office365.com/IMAP.AccessAsApp"));
  expect_aadsts(r, 400, "invalid_scope", 1002012);
  EXPECT_NE(desc(r).find("scope https://outlook.office365.com/IMAP.AccessAsApp is not valid. Client credential "
                         "flows must have a scope value with /.default suffixed"),
            std::string::npos);
  expect_aadsts(env.token(cc("IMAP.AccessAsApp")), 400, "invalid_scope", 1002012);
  expect_aadsts(env.token(cc("https://outlook.office365.com/.default openid")), 400, "invalid_scope", 1002012);
  auto typo = env.token(cc("https://outlook.office365.con/.default"));
  expect_aadsts(typo, 400, "invalid_resource", 500011);
  EXPECT_NE(desc(typo).find("The resource principal named https://outlook.office365.con was not found in the "
                            "tenant named Contoso."),
            std::string::npos);
  expect_aadsts(env.token(cc("https://outlook.office365.com/.default https://graph.microsoft.com/.default")),
                400, "invalid_scope", 700022);
  expect_aadsts(env.token(cc("https://outlook.office365.com/IMAP*AccessAsApp")), 400, "invalid_scope", 70011);
  expect_aadsts(env.token(cc("https://outlook.office365.com/")), 400, "invalid_scope", 70011);
}

TEST(IdentityClientAssertion, Rs256WithX5tAndPs256WithX5tS256) {
  identity_env env;
  for (auto [alg, s256] : {std::pair{"RS256", false}, std::pair{"PS256", true}, std::pair{"RS256", true},
                           std::pair{"PS256", false}}) {
    auto r = env.token(with_assertion(assertion(env, alg, s256)));
    ASSERT_EQ(r.status, 200) << alg << " " << r.body;
    auto c = env.verified_claims(r.json()["access_token"]);
    ASSERT_TRUE(c);
    EXPECT_EQ((*c)["appidacr"], "2");
    EXPECT_EQ((*c)["aud"], "https://outlook.office365.com");
  }
  // MSAL for Python pads x5t ("…=") and Entra accepts it.
  const auto& m = identity_material::get();
  nlohmann::json padded = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", jwt::x5t_sha1(m.client_cert_pem) + "="}};
  nlohmann::json pc = {{"aud", env.server().token_endpoint()}, {"iss", idp::good_app}, {"sub", idp::good_app},
                       {"nbf", env.now.load()}, {"exp", env.now + 600}};
  EXPECT_EQ(env.token(with_assertion(jwt::encode(padded, pc, jwt::signing_key::from_pem(m.client_key_pem)))).status,
            200);
  // `aud` may also name the tenant by domain, the v1 endpoint, or Entra's own host.
  for (std::string aud : {env.server().issuer_base() + "/" + idp::domain + "/oauth2/v2.0/token",
                          env.server().authority() + "/oauth2/token",
                          std::string("https://login.microsoftonline.com/") + idp::tenant_id + "/oauth2/v2.0/token"})
    EXPECT_EQ(env.token(with_assertion(assertion(env, "PS256", true, {{"aud", aud}}))).status, 200) << aud;
}

TEST(IdentityClientAssertion, Errors) {
  identity_env env;
  const auto& m = identity_material::get();
  // Signed by a key that is not the certificate's.
  auto r = env.token(with_assertion(assertion(env, "RS256", false, {}, m.other_key_pem)));
  expect_aadsts(r, 401, "invalid_client", 700027);
  EXPECT_NE(desc(r).find("did not match the expected signature value"), std::string::npos);
  // A thumbprint the app does not have.
  nlohmann::json h = {{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", base64url_encode(std::string(20, 'x'))}};
  nlohmann::json c = {{"aud", env.server().token_endpoint()}, {"iss", idp::good_app}, {"sub", idp::good_app},
                      {"nbf", env.now.load()}, {"exp", env.now + 600}};
  auto unknown = env.token(with_assertion(jwt::encode(h, c, jwt::signing_key::from_pem(m.client_key_pem))));
  expect_aadsts(unknown, 401, "invalid_client", 700027);
  EXPECT_NE(desc(unknown).find("is not registered on application"), std::string::npos);
  EXPECT_NE(desc(unknown).find("7878787878787878787878787878787878787878"), std::string::npos);

  expect_aadsts(env.token(with_assertion(assertion(env, "PS256", true, {{"aud", "https://elsewhere/token"}}))),
                401, "invalid_client", 700023);
  auto stale = env.token(with_assertion(
      assertion(env, "PS256", true, {{"nbf", env.now - 4000}, {"exp", env.now - 3000}})));
  expect_aadsts(stale, 401, "invalid_client", 700024);
  EXPECT_NE(desc(stale).find("Current time: 2023-11-14T22:13:20.0000000Z"), std::string::npos);
  expect_aadsts(env.token(with_assertion(assertion(env, "PS256", true, {{"iss", idp::public_app}}))), 401,
                "invalid_client", 50027);
  expect_aadsts(env.token(with_assertion("not.a.jwt")), 401, "invalid_client", 50027);
  std::string none = base64url_encode(R"({"alg":"none","x5t#S256":")" + jwt::x5t_sha256(m.client_cert_pem) +
                                      R"("})") + "." + base64url_encode(c.dump()) + ".";
  expect_aadsts(env.token(with_assertion(none)), 401, "invalid_client", 50027);
  auto no_type = with_assertion(assertion(env, "PS256", true));
  no_type.erase(no_type.begin() + 1);
  expect_aadsts(env.token(no_type), 400, "invalid_request", 900144);
}
