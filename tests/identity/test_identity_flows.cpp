// Browserless interactive flows: the device authorization grant (devicecode endpoint,
// polling errors, approve/deny through the control API, expiry by moving the clock) and the
// authorization code grant with PKCE (authorize redirect, single use, verifier, redirect
// URI rules, code expiry).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "core/base64.hpp"
#include "identity/http_form.hpp"
#include "identity_env.hpp"

using namespace mh;
using namespace mh::test;
namespace idp = mh::test::idp;

namespace {

constexpr const char* scope = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access openid";

nlohmann::json start_device(identity_env& env, const std::string& client = idp::public_app) {
  auto r = env.post_form(std::string("/") + idp::tenant_id + "/oauth2/v2.0/devicecode",
                         {{"client_id", client}, {"scope", scope}});
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

http_result poll(identity_env& env, const std::string& device_code, const std::string& client = idp::public_app) {
  return env.token({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                    {"client_id", client},
                    {"device_code", device_code}});
}

std::string s256(const std::string& v) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(v.data(), v.size(), md, &n, EVP_sha256(), nullptr);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

// GET authorize; returns the response (302 expected) and its Location parameters.
std::pair<http_result, fake::form_params> authorize(identity_env& env, const params& p) {
  std::string q;
  for (const auto& [k, v] : p) q += (q.empty() ? "?" : "&") + fake::url_encode(k) + "=" + fake::url_encode(v);
  auto r = env.get(std::string("/") + idp::tenant_id + "/oauth2/v2.0/authorize" + q);
  std::string loc = r.header("location");
  auto at = loc.find_first_of("?#");
  auto parsed = at == std::string::npos ? std::nullopt : fake::parse_form(loc.substr(at + 1));
  return {r, parsed.value_or(fake::form_params{})};
}

const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

params auth_params(std::string client = idp::public_app, std::string redirect = "http://localhost:53123") {
  return {{"client_id", client}, {"response_type", "code"}, {"redirect_uri", redirect},
          {"scope", scope}, {"state", "st-1"}, {"nonce", "n-1"},
          {"code_challenge", s256(verifier)}, {"code_challenge_method", "S256"}};
}

params redeem(const std::string& code, std::string v = verifier,
              std::string redirect = "http://localhost:53123", std::string client = idp::public_app) {
  return {{"client_id", client}, {"grant_type", "authorization_code"}, {"code", code},
          {"redirect_uri", redirect}, {"code_verifier", v}};
}

}  // namespace

TEST(IdentityDeviceCode, ApproveThenPollIssuesTokens) {
  identity_env env;
  auto dc = start_device(env);
  std::string user_code = dc["user_code"];
  EXPECT_EQ(user_code.size(), 9u);
  EXPECT_EQ(dc["verification_uri"], "https://microsoft.com/devicelogin");
  EXPECT_EQ(dc["expires_in"], 900);
  EXPECT_EQ(dc["interval"], 5);
  EXPECT_EQ(dc["message"], "To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                           "and enter the code " + user_code + " to authenticate.");
  EXPECT_FALSE(dc.contains("verification_uri_complete"));

  auto pending = poll(env, dc["device_code"]);
  expect_aadsts(pending, 400, "authorization_pending", 70016);

  auto ok = env.post_json("/_fake/devicecode/approve", {{"user_code", user_code}, {"upn", idp::bob}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto r = poll(env, dc["device_code"]);
  ASSERT_EQ(r.status, 200) << r.body;
  auto c = env.verified_claims(r.json()["access_token"]);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["upn"], idp::bob);
  EXPECT_EQ((*c)["amr"], nlohmann::json({"pwd", "mfa"}));  // MFA done on the sign-in page
  EXPECT_TRUE(r.json().contains("refresh_token"));
  EXPECT_TRUE(r.json().contains("id_token"));
  // A redeemed code cannot be polled again.
  expect_aadsts(poll(env, dc["device_code"]), 400, "bad_verification_code", 70018);
  EXPECT_EQ(env.events_dump().find(std::string(dc["device_code"])), std::string::npos);
  EXPECT_EQ(env.events_of("devicecode.approved").size(), 1u);
}

TEST(IdentityDeviceCode, DenyExpireAndUnknownCodes) {
  identity_env env;
  auto dc = start_device(env);
  ASSERT_EQ(env.post_json("/_fake/devicecode/deny", {{"user_code", dc["user_code"]}}).status, 200);
  expect_aadsts(poll(env, dc["device_code"]), 400, "authorization_declined", 65004);
  EXPECT_EQ(env.post_json("/_fake/devicecode/approve", {{"user_code", dc["user_code"]}}).status, 409);

  auto late = start_device(env);
  env.now += 900;
  expect_aadsts(poll(env, late["device_code"]), 400, "expired_token", 70019);
  EXPECT_EQ(env.post_json("/_fake/devicecode/approve", {{"user_code", late["user_code"]}}).status, 400);

  expect_aadsts(poll(env, "DAQABAAEAAADunknown"), 400, "bad_verification_code", 70018);
  EXPECT_EQ(env.post_json("/_fake/devicecode/approve", {{"user_code", "NOSUCHCOD"}}).status, 404);
  EXPECT_EQ(env.post_json("/_fake/devicecode/approve", nlohmann::json::object()).status, 400);
}

TEST(IdentityDeviceCode, FailedSignInsAndClientErrorsReachThePoller) {
  identity_env env;
  auto dc = start_device(env);
  auto r = env.post_json("/_fake/devicecode/approve", {{"user_code", dc["user_code"]}, {"upn", idp::dave}});
  expect_aadsts(r, 400, "invalid_grant", 50057);
  expect_aadsts(poll(env, dc["device_code"]), 400, "invalid_grant", 50057);

  auto blocked = start_device(env);
  env.post_json("/_fake/devicecode/approve", {{"user_code", blocked["user_code"]}, {"upn", idp::carol}});
  expect_aadsts(poll(env, blocked["device_code"]), 400, "invalid_grant", 53003);

  // "Allow public client flows" off: the poll needs a credential.
  auto conf = start_device(env, idp::good_app);
  env.post_json("/_fake/devicecode/approve", {{"user_code", conf["user_code"]}});
  expect_aadsts(poll(env, conf["device_code"], idp::good_app), 401, "invalid_client", 7000218);

  auto nc = start_device(env, idp::no_consent_app);
  env.post_json("/_fake/devicecode/approve", {{"user_code", nc["user_code"]}});
  expect_aadsts(poll(env, nc["device_code"], idp::no_consent_app), 400, "invalid_grant", 65001);

  auto unknown = env.post_form(std::string("/") + idp::tenant_id + "/oauth2/v2.0/devicecode",
                               {{"client_id", idp::unknown_app}, {"scope", scope}});
  expect_aadsts(unknown, 400, "unauthorized_client", 700016);
  auto bad_scope = env.post_form(std::string("/") + idp::tenant_id + "/oauth2/v2.0/devicecode",
                                 {{"client_id", idp::public_app}, {"scope", "https://outlook.office365.con/IMAP.AccessAsUser.All"}});
  expect_aadsts(bad_scope, 400, "invalid_resource", 500011);
}

TEST(IdentityAuthCode, PkceS256RoundTripAndSingleUse) {
  identity_env env;
  auto [r, loc] = authorize(env, auth_params());
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_TRUE(r.header("location").starts_with("http://localhost:53123?code="));
  EXPECT_EQ(loc.value("state"), "st-1");
  std::string code = loc.value("code");
  ASSERT_FALSE(code.empty());
  auto t = env.token(redeem(code));
  ASSERT_EQ(t.status, 200) << t.body;
  auto c = env.verified_claims(t.json()["access_token"]);
  EXPECT_EQ((*c)["upn"], idp::alice);  // no login_hint: the first enabled user with a password
  EXPECT_EQ((*c)["scp"], "IMAP.AccessAsUser.All offline_access openid");
  auto id = env.verified_claims(t.json()["id_token"]);
  EXPECT_EQ((*id)["nonce"], "n-1");
  expect_aadsts(env.token(redeem(code)), 400, "invalid_grant", 54005);
  EXPECT_EQ(env.events_dump().find(code), std::string::npos);
}

TEST(IdentityAuthCode, VerifierRedirectAndExpiryErrors) {
  identity_env env;
  auto code = [&](params p = auth_params()) { return authorize(env, p).second.value("code"); };
  expect_aadsts(env.token(redeem(code(), "wrong-verifier-wrong-verifier-wrong-verifier")), 400, "invalid_grant",
                501481);
  auto no_verifier = redeem(code());
  no_verifier.pop_back();
  expect_aadsts(env.token(no_verifier), 400, "invalid_grant", 501481);
  expect_aadsts(env.token(redeem(code(), verifier, "http://localhost:1/other")), 400, "invalid_request", 50011);
  std::string old = code();
  env.now += 600;
  expect_aadsts(env.token(redeem(old)), 400, "invalid_grant", 70008);
  expect_aadsts(env.token(redeem("0.Anot-a-code")), 400, "invalid_grant", 70000);

  // plain PKCE and login_hint.
  auto p = auth_params();
  p[6] = {"code_challenge", "plain-verifier-plain-verifier-plain-verifier-1"};
  p[7] = {"code_challenge_method", "plain"};
  p.emplace_back("login_hint", idp::bob);
  auto t = env.token(redeem(code(p), "plain-verifier-plain-verifier-plain-verifier-1"));
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ((*env.verified_claims(t.json()["access_token"]))["amr"], nlohmann::json({"pwd", "mfa"}));

  // A confidential client redeems with its secret at the registered web redirect.
  auto web = authorize(env, auth_params(idp::good_app, idp::good_redirect)).second.value("code");
  auto wr = redeem(web, verifier, idp::good_redirect, idp::good_app);
  expect_aadsts(env.token(wr), 401, "invalid_client", 7000218);
  auto web2 = authorize(env, auth_params(idp::good_app, idp::good_redirect)).second.value("code");
  auto wr2 = redeem(web2, verifier, idp::good_redirect, idp::good_app);
  wr2.emplace_back("client_secret", idp::good_secret);
  EXPECT_EQ(env.token(wr2).status, 200);
}

TEST(IdentityAuthCode, AuthorizeErrors) {
  identity_env env;
  auto [bad_redirect, unused] = authorize(env, auth_params(idp::public_app, "https://evil.example/cb"));
  auto j = expect_aadsts(bad_redirect, 400, "invalid_request", 50011);
  EXPECT_NE(j["error_description"].get<std::string>().find("The redirect URI 'https://evil.example/cb'"),
            std::string::npos);
  expect_aadsts(authorize(env, auth_params(idp::unknown_app)).first, 400, "unauthorized_client", 700016);

  auto [nc, loc] = authorize(env, auth_params(idp::no_consent_app));
  ASSERT_EQ(nc.status, 302);
  EXPECT_EQ(loc.value("error"), "consent_required");
  EXPECT_TRUE(loc.value("error_description").starts_with("AADSTS65001: "));
  EXPECT_EQ(loc.value("state"), "st-1");

  auto blocked = auth_params();
  blocked.emplace_back("login_hint", idp::carol);
  EXPECT_TRUE(authorize(env, blocked).second.value("error_description").starts_with("AADSTS53003: "));
  auto token_type = auth_params();
  token_type[1] = {"response_type", "token"};
  EXPECT_EQ(authorize(env, token_type).second.value("error"), "unsupported_response_type");
  auto frag = auth_params();
  frag.emplace_back("response_mode", "fragment");
  EXPECT_TRUE(authorize(env, frag).first.header("location").starts_with("http://localhost:53123#code="));
}
