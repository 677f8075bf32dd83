// Providers over a scripted transport: the device code polling loop (pending, slow_down,
// expiry, decline) with an injected sleeper, and what each grant sends.
#include <gtest/gtest.h>

#include <deque>

#include "core/error.hpp"
#include "oauth/providers.hpp"

using namespace mh;
using namespace mh::oauth;
using namespace std::chrono_literals;

namespace {

http_outcome reply(long status, std::string body) {
  http_outcome o;
  o.response.status = status;
  o.response.content_type = "application/json; charset=utf-8";
  o.response.body = std::move(body);
  return o;
}

http_outcome oauth_error(const std::string& error, int code) {
  return reply(400, R"({"error":")" + error + R"(","error_description":"AADSTS)" + std::to_string(code) +
                        R"(: )" + error + R"(\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: x","error_codes":[)" +
                        std::to_string(code) + "]}");
}

const std::string devicecode_body =
    R"({"device_code":"DC-secret","user_code":"ABCD1234","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate."})";
const std::string tokens_body =
    R"({"token_type":"Bearer","scope":"IMAP.AccessAsUser.All","expires_in":3599,"access_token":"at","refresh_token":"rt"})";

struct rig {
  std::deque<http_outcome> replies;
  std::vector<http_request> seen;
  std::vector<std::chrono::milliseconds> slept;
  std::int64_t now = 1'700'000'000;
  http_client http;
  token_client tc;
  explicit rig(std::vector<http_outcome> r)
      : replies(r.begin(), r.end()),
        http({}, [this](const http_request& q) {
          seen.push_back(q);
          auto o = replies.front();
          if (replies.size() > 1) replies.pop_front();
          return o;
        }),
        tc({"https://login.example/", "contoso.onmicrosoft.com", "client-1"}, http, [this] { return now; }) {
    http.sleep = [](std::chrono::milliseconds) { FAIL() << "no HTTP retry expected"; };
  }
  sleep_fn sleeper() {
    return [this](std::chrono::milliseconds d) {
      slept.push_back(d);
      now += d.count() / 1000;
    };
  }
};

}  // namespace

TEST(OauthDevice, PendingSlowDownThenTokens) {
  rig r({reply(200, devicecode_body), oauth_error("authorization_pending", 70016),
         oauth_error("slow_down", 70016), oauth_error("authorization_pending", 70016), reply(200, tokens_body)});
  std::string shown;
  auto res = r.tc.device_code({}, delegated_scope, [&](const device_prompt& p) { shown = p.message; }, r.sleeper());
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(res.tokens->refresh_token.reveal(), "rt");
  EXPECT_NE(shown.find("ABCD1234"), std::string::npos);
  EXPECT_EQ(r.slept, (std::vector<std::chrono::milliseconds>{5s, 5s, 10s, 10s}));
  ASSERT_EQ(r.seen.size(), 5u);
  EXPECT_EQ(r.seen[0].url, "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
  EXPECT_EQ(r.seen[1].url, "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_NE(r.seen[1].body.find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"), std::string::npos);
  EXPECT_NE(r.seen[1].body.find("device_code=DC-secret"), std::string::npos);
  EXPECT_EQ(res.message.find("DC-secret"), std::string::npos);
}

TEST(OauthDevice, TerminalErrorsStopPolling) {
  for (auto [err, code] : {std::pair{"expired_token", 70019}, std::pair{"authorization_declined", 70018},
                           std::pair{"bad_verification_code", 70018}}) {
    rig r({reply(200, devicecode_body), oauth_error("authorization_pending", 70016), oauth_error(err, code)});
    auto res = r.tc.device_code({}, delegated_scope, [](const device_prompt&) {}, r.sleeper());
    EXPECT_EQ(res.ec, errc::token_request_denied) << err;
    ASSERT_TRUE(res.aad);
    EXPECT_EQ(res.aad->error, err);
    EXPECT_EQ(r.seen.size(), 3u) << err;
  }
}

TEST(OauthDevice, GivesUpWhenTheCodeExpires) {
  rig r({reply(200, devicecode_body), oauth_error("authorization_pending", 70016)});
  auto res = r.tc.device_code({}, delegated_scope, [](const device_prompt&) {}, r.sleeper());
  EXPECT_EQ(res.ec, errc::token_request_denied);
  EXPECT_NE(res.message.find("expired before the sign-in"), std::string::npos);
  EXPECT_EQ(r.slept.size(), 180u);  // 900 s / 5 s
}

TEST(OauthDevice, BadDevicecodeAnswer) {
  rig r({reply(200, R"({"user_code":"X"})")});
  auto res = r.tc.device_code({}, delegated_scope, [](const device_prompt&) { FAIL(); }, r.sleeper());
  EXPECT_EQ(res.ec, errc::bad_token_response);
  rig e({oauth_error("invalid_client", 700016)});
  auto res2 = e.tc.device_code({}, delegated_scope, [](const device_prompt&) { FAIL(); }, e.sleeper());
  EXPECT_EQ(res2.ec, errc::token_request_denied);
  EXPECT_EQ(res2.aad->code, 700016);
}

TEST(OauthProviders, GrantBodies) {
  rig r({reply(200, tokens_body)});
  client_auth secret;
  secret.type = client_auth::kind::secret;
  secret.secret = secret_string("s3cr3t");
  ASSERT_TRUE(r.tc.client_credentials(secret, app_only_scope).ok());
  EXPECT_EQ(r.seen[0].body,
            "grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default&client_id=client-1&"
            "client_secret=s3cr3t");
  secret.basic = true;
  ASSERT_TRUE(r.tc.client_credentials(secret, app_only_scope).ok());
  EXPECT_EQ(r.seen[1].body.find("client_secret"), std::string::npos);
  EXPECT_EQ(r.seen[1].headers[0], "Authorization: Basic Y2xpZW50LTE6czNjcjN0");  // client-1:s3cr3t
  ASSERT_TRUE(r.tc.refresh({}, secret_string("old-rt"), delegated_scope).ok());
  EXPECT_NE(r.seen[2].body.find("grant_type=refresh_token&refresh_token=old-rt&scope=https"), std::string::npos);
  ASSERT_TRUE(r.tc.password({}, "alice@contoso.com", secret_string("p w&d"), delegated_scope).ok());
  EXPECT_NE(r.seen[3].body.find("username=alice%40contoso.com&password=p%20w%26d"), std::string::npos);
}

TEST(OauthProviders, EchoedSecretsAreRedacted) {
  // A proxy that echoes the request body into its error page.
  rig r({reply(502, "bad gateway: grant_type=password&password=hunter2%21x&client_secret=s3cr3t-value")});
  client_auth a;
  a.type = client_auth::kind::secret;
  a.secret = secret_string("s3cr3t-value");
  r.http.retry.max_attempts = 1;
  auto res = r.tc.password(a, "alice", secret_string("hunter2!x"), delegated_scope);
  EXPECT_EQ(res.ec, errc::bad_token_response);
  EXPECT_EQ(res.message.find("hunter2"), std::string::npos) << res.message;
  EXPECT_EQ(res.message.find("s3cr3t-value"), std::string::npos) << res.message;
  EXPECT_NE(res.message.find("<password sha256:"), std::string::npos) << res.message;
  EXPECT_EQ(res.message.find("s3cr"), std::string::npos) << res.message;  // not even cut
}
