// Delegated grants: ROPC (password) with its sign-in and consent errors, delegated token
// claims, Graph resolution of bare scopes, and refresh-token rotation, scope rules,
// inactivity expiry and strict rotation.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/redact.hpp"
#include "identity_env.hpp"
#include "jwt/jwt.hpp"

using namespace mh;
using namespace mh::test;
namespace idp = mh::test::idp;

namespace {

constexpr const char* imap_smtp =
    "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access "
    "openid profile";

params ropc(std::string user = idp::alice, std::string password = idp::alice_password,
            std::string scope = imap_smtp, std::string client = idp::public_app) {
  return {{"client_id", client}, {"grant_type", "password"}, {"username", user},
          {"password", password}, {"scope", scope}, {"client_info", "1"}};
}

params refresh(const std::string& rt, const std::string& scope = "", std::string client = idp::public_app) {
  params p = {{"client_id", client}, {"grant_type", "refresh_token"}, {"refresh_token", rt}};
  if (!scope.empty()) p.emplace_back("scope", scope);
  return p;
}

std::string desc(const http_result& r) { return r.json().value("error_description", ""); }

}  // namespace

TEST(IdentityPassword, PublicClientGetsADelegatedExchangeToken) {
  identity_env env;
  auto r = env.token(ropc());
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = nlohmann::ordered_json::parse(r.body);
  std::vector<std::string> order;
  for (auto it = body.begin(); it != body.end(); ++it) order.push_back(it.key());
  EXPECT_EQ(order, (std::vector<std::string>{"token_type", "scope", "expires_in", "ext_expires_in",
                                             "access_token", "refresh_token", "id_token", "client_info"}));
  EXPECT_EQ(body["scope"], "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
                           "openid profile offline_access");
  EXPECT_TRUE(body["expires_in"].is_number());
  EXPECT_TRUE(std::string(body["refresh_token"]).starts_with("0.A"));

  auto c = env.verified_claims(body["access_token"]);
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)["aud"], "https://outlook.office.com");
  EXPECT_EQ((*c)["scp"], "IMAP.AccessAsUser.All offline_access openid profile SMTP.Send");
  EXPECT_EQ((*c)["upn"], idp::alice);
  EXPECT_EQ((*c)["unique_name"], idp::alice);
  EXPECT_EQ((*c)["name"], "Alice Example");
  EXPECT_EQ((*c)["oid"], env.tenant.find_user(idp::alice)->object_id);
  EXPECT_EQ((*c)["sub"], (*c)["oid"]);
  EXPECT_EQ((*c)["amr"], nlohmann::json({"pwd"}));
  EXPECT_EQ((*c)["appid"], idp::public_app);
  EXPECT_EQ((*c)["appidacr"], "0");
  EXPECT_EQ((*c)["idtyp"], "user");
  EXPECT_EQ((*c)["ver"], "1.0");
  EXPECT_FALSE(c->contains("roles"));

  auto id = env.verified_claims(body["id_token"]);
  ASSERT_TRUE(id);
  EXPECT_EQ((*id)["aud"], idp::public_app);
  EXPECT_EQ((*id)["iss"], env.server().authority() + "/v2.0");
  EXPECT_EQ((*id)["preferred_username"], idp::alice);
  EXPECT_EQ((*id)["ver"], "2.0");
  auto info = nlohmann::json::parse(*base64url_decode(std::string(body["client_info"])));
  EXPECT_EQ(info["uid"], (*c)["oid"]);
  EXPECT_EQ(info["utid"], idp::tenant_id);

  auto ev = env.events_of("token.issued");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["grant"], "password");
  EXPECT_EQ(ev[0]["upn"], idp::alice);
  EXPECT_EQ(ev[0]["new_refresh_token"], fingerprint(std::string(body["refresh_token"])));
  std::string dump = env.events_dump();
  EXPECT_EQ(dump.find(idp::alice_password), std::string::npos);
  EXPECT_EQ(dump.find(std::string(body["refresh_token"])), std::string::npos);
}

TEST(IdentityPassword, ScopesDecideAudienceRefreshTokenAndIdToken) {
  identity_env env;
  auto bare = env.token(ropc(idp::alice, idp::alice_password, "IMAP.AccessAsUser.All"));
  ASSERT_EQ(bare.status, 200) << bare.body;
  EXPECT_FALSE(bare.json().contains("refresh_token"));
  EXPECT_FALSE(bare.json().contains("id_token"));
  auto c = env.verified_claims(bare.json()["access_token"]);
  EXPECT_EQ((*c)["aud"], "https://graph.microsoft.com");  // Exchange will refuse it
  EXPECT_EQ((*c)["scp"], "IMAP.AccessAsUser.All");
  auto dflt = env.token(ropc(idp::alice, idp::alice_password, "https://outlook.office365.com/.default"));
  ASSERT_EQ(dflt.status, 200) << dflt.body;
  c = env.verified_claims(dflt.json()["access_token"]);
  EXPECT_EQ((*c)["aud"], "https://outlook.office365.com");
  EXPECT_EQ((*c)["scp"], "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send");
  // A confidential client may use ROPC with its secret.
  auto conf = env.token(ropc(idp::alice, idp::alice_password, imap_smtp, idp::good_app));
  expect_aadsts(conf, 401, "invalid_client", 7000218);
  auto with_secret = ropc(idp::alice, idp::alice_password, imap_smtp, idp::good_app);
  with_secret.emplace_back("client_secret", idp::good_secret);
  auto ok = env.token(with_secret);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ((*env.verified_claims(ok.json()["access_token"]))["appidacr"], "1");
}

TEST(IdentityPassword, SignInErrors) {
  identity_env env;
  auto r = env.token(ropc(idp::alice, "wrong"));
  expect_aadsts(r, 400, "invalid_grant", 50126);
  EXPECT_NE(desc(r).find("Error validating credentials due to invalid username or password."), std::string::npos);
  expect_aadsts(env.token(ropc("nobody@contoso.com", "x")), 400, "invalid_grant", 50034);
  expect_aadsts(env.token(ropc(idp::dave, "even-a-wrong-password")), 400, "invalid_grant", 50057);
  auto mfa = env.token(ropc(idp::bob, idp::user_password));
  expect_aadsts(mfa, 400, "invalid_grant", 50076);
  EXPECT_NE(desc(mfa).find("multi-factor authentication to access 'https://outlook.office.com'"), std::string::npos);
  EXPECT_EQ(mfa.json()["suberror"], "basic_action");
  auto ca = env.token(ropc(idp::carol, idp::user_password));
  expect_aadsts(ca, 400, "invalid_grant", 53003);
  EXPECT_EQ(ca.json()["suberror"], "message_only");
  // MFA is checked only once the password is right.
  expect_aadsts(env.token(ropc(idp::bob, "wrong")), 400, "invalid_grant", 50126);
  auto missing = ropc();
  missing.erase(missing.begin() + 2);
  expect_aadsts(env.token(missing), 400, "invalid_request", 900144);
}

TEST(IdentityPassword, ClientAndConsentErrors) {
  identity_env env;
  auto with_secret = ropc();
  with_secret.emplace_back("client_secret", idp::good_secret);
  expect_aadsts(env.token(with_secret), 401, "invalid_client", 700025);
  auto no_consent = env.token(ropc(idp::alice, idp::alice_password, imap_smtp, idp::no_consent_app));
  expect_aadsts(no_consent, 400, "invalid_grant", 65001);
  EXPECT_EQ(no_consent.json()["suberror"], "consent_required");
  // A permission the registration does not list: consent would be needed (65001).
  expect_aadsts(env.token(ropc(idp::alice, idp::alice_password, imap_smtp, idp::no_perms_app)), 400,
                "invalid_grant", 65001);
  // ".default" on a resource the registration has no delegated permission for: 650057.
  expect_aadsts(env.token(ropc(idp::alice, idp::alice_password, "https://outlook.office.com/.default",
                               idp::no_perms_app)),
                401, "invalid_client", 650057);
  expect_aadsts(env.token(ropc(idp::alice, idp::alice_password,
                               "https://outlook.office.com/IMAP.AccessAsUser.All https://graph.microsoft.com/User.Read")),
                400, "invalid_scope", 700022);
  expect_aadsts(env.token(ropc(idp::alice, idp::alice_password, "")), 400, "invalid_request", 900144);
  // Delegated flows are fine over /common and /organizations.
  EXPECT_EQ(env.token(ropc(), "organizations").status, 200);
}

TEST(IdentityRefresh, RotatesEveryTimeAndOldTokensStayValid) {
  identity_env env;
  std::string rt0 = env.token(ropc()).json()["refresh_token"];
  auto r1 = env.token(refresh(rt0));
  ASSERT_EQ(r1.status, 200) << r1.body;
  std::string rt1 = r1.json()["refresh_token"];
  EXPECT_NE(rt1, rt0);
  auto c = env.verified_claims(r1.json()["access_token"]);
  EXPECT_EQ((*c)["scp"], "IMAP.AccessAsUser.All offline_access openid profile SMTP.Send");
  EXPECT_EQ((*c)["amr"], nlohmann::json({"pwd"}));
  auto r2 = env.token(refresh(rt1, "https://outlook.office.com/IMAP.AccessAsUser.All"));
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ((*env.verified_claims(r2.json()["access_token"]))["scp"], "IMAP.AccessAsUser.All offline_access");
  EXPECT_TRUE(r2.json().contains("refresh_token"));
  // rt0 was rotated away but still works (Entra does not revoke it).
  auto again = env.token(refresh(rt0));
  ASSERT_EQ(again.status, 200) << again.body;

  auto ev = env.events_of("token.issued");
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[1]["refresh_token"], fingerprint(rt0));
  EXPECT_EQ(ev[1]["refresh_token_reused"], false);
  EXPECT_EQ(ev[1]["scope_sent"], false);
  EXPECT_EQ(ev[2]["scope_sent"], true);
  EXPECT_EQ(ev[3]["refresh_token_reused"], true);
  EXPECT_EQ(ev[3]["refresh_family"], ev[1]["refresh_family"]);
  for (const auto& rt : {rt0, rt1}) EXPECT_EQ(env.events_dump().find(rt), std::string::npos);
}

TEST(IdentityRefresh, Errors) {
  identity_env env;
  std::string rt = env.token(ropc(idp::alice, idp::alice_password,
                                  "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"))
                       .json()["refresh_token"];
  auto wider = env.token(refresh(rt, "https://outlook.office.com/POP.AccessAsUser.All offline_access"));
  expect_aadsts(wider, 400, "invalid_grant", 70000);
  EXPECT_NE(desc(wider).find("one or more scopes requested are unauthorized or expired"), std::string::npos);
  expect_aadsts(env.token(refresh("0.Agarbage")), 400, "invalid_grant", 70000);
  expect_aadsts(env.token(refresh(rt, "", idp::no_perms_app)), 400, "invalid_grant", 70000);
  auto missing = refresh(rt);
  missing.pop_back();
  expect_aadsts(env.token(missing), 400, "invalid_request", 900144);

  env.now += env.tenant.tokens.refresh_inactivity_s + 1;
  auto idle = env.token(refresh(rt));
  expect_aadsts(idle, 400, "invalid_grant", 700082);
  EXPECT_NE(desc(idle).find("The refresh token has expired due to inactivity. The token was issued on "
                            "2023-11-14T22:13:20.0000000Z and was inactive for 90.00:00:00."),
            std::string::npos);
  EXPECT_EQ(idle.json()["suberror"], "bad_token");
}

TEST(IdentityRefresh, StrictRotationRevokesSupersededTokens) {
  identity_env env([](fake::tenant& t) { t.tokens.strict_refresh_rotation = true; });
  std::string rt0 = env.token(ropc()).json()["refresh_token"];
  env.now += 60;
  auto r1 = env.token(refresh(rt0));
  ASSERT_EQ(r1.status, 200) << r1.body;
  auto reuse = env.token(refresh(rt0));
  expect_aadsts(reuse, 400, "invalid_grant", 50173);
  EXPECT_NE(desc(reuse).find("TokensValidFrom date (before which tokens are not valid) for this user is "
                             "'2023-11-14T22:14:20.0000000Z'"),
            std::string::npos);
  EXPECT_EQ(env.token(refresh(r1.json()["refresh_token"])).status, 200);
  auto ev = env.events_of("token.error");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["refresh_token_reused"], true);
}

TEST(IdentityRefresh, AccountChangesAfterSignInApply) {
  identity_env env;
  std::string rt = env.token(ropc()).json()["refresh_token"];
  // The tenant is edited while the server is idle (no request in flight).
  for (auto& u : env.tenant.users)
    if (u.upn == idp::alice) u.enabled = false;
  expect_aadsts(env.token(refresh(rt)), 400, "invalid_grant", 50057);
}
