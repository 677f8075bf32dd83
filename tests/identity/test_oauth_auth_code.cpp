// token_client::auth_code against the fake identity platform over HTTPS, with a test
// "browser" that fetches the authorize URL (libcurl, no automatic redirects) and delivers its
// 302 to the loopback listener: the demo tenant's public client gets valid tokens and a
// refresh token, a forged state is refused before any redemption, a missing consent
// arrives as a structured AADSTS65001 error, the PKCE verifier is checked by the token
// endpoint, and a confidential client redeems with its secret.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "core/error.hpp"
#include "identity/http_form.hpp"
#include "identity_env.hpp"
#include "oauth/pkce.hpp"
#include "oauth/providers.hpp"
#include "tenant/tenant.hpp"

using namespace mh;
using namespace mh::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* demo_alice = "alice@contoso.onmicrosoft.com";

struct fetched {
  long status = 0;
  std::string body;
  std::string location;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One GET, redirects not followed; `ca` trusts the fake's certificate (empty for http).
fetched fetch(const std::string& url, const std::string& ca) {
  fetched f;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (!ca.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &f.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(c);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc) << " GET " << oauth::url_for_display(url);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f.status);
  char* loc = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc) f.location = loc;
  curl_easy_cleanup(c);
  return f;
}

// The query parameters of a redirect Location.
fake::form_params location_params(const std::string& location) {
  auto at = location.find('?');
  auto p = at == std::string::npos ? std::nullopt : fake::parse_form(location.substr(at + 1));
  return p.value_or(fake::form_params{});
}

// Opens the authorize URL on its own thread (the listener runs on the test's thread), then
// follows the identity platform's redirect to the loopback listener, optionally rewritten.
class browser {
 public:
  explicit browser(std::string ca, std::function<std::string(std::string)> rewrite = {})
      : ca_(std::move(ca)), rewrite_(std::move(rewrite)) {}
  ~browser() { join(); }
  oauth::navigate_fn navigate() {
    return [this](const std::string& url) {
      url_ = url;
      thread_ = std::thread([this] {
        authorize = fetch(url_, ca_);
        if (!authorize.location.empty())
          landing = fetch(rewrite_ ? rewrite_(authorize.location) : authorize.location, "");
      });
    };
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  const std::string& url() const { return url_; }
  fetched authorize;  // the identity platform's answer
  fetched landing;    // the listener's page

 private:
  std::string ca_;
  std::function<std::string(std::string)> rewrite_;
  std::string url_;
  std::thread thread_;
};

struct rig {
  identity_env& env;
  oauth::http_client http;
  oauth::token_client tc;
  rig(identity_env& e, const std::string& client)
      : env(e),
        http(oauth::http_options{e.ca_file()}),
        tc({e.url(""), e.tenant.tenant_id, client}, http, [&e] { return e.now.load(); }) {
    http.sleep = [](std::chrono::milliseconds) { ADD_FAILURE() << "no retries expected"; };
  }
};

const fake::app& app_by_key(const identity_env& env, const std::string& key) {
  for (const auto& a : env.tenant.apps)
    if (a.key == key) return a;
  throw std::runtime_error("no app " + key);
}

oauth::auth_code_options options(std::string login_hint) {
  oauth::auth_code_options o;
  o.scope = oauth::delegated_scope;
  o.login_hint = std::move(login_hint);
  o.listener.timeout = 60s;  // a safety net: every test delivers or fails the redirect at once
  return o;
}

void use_demo_tenant(fake::tenant& t) { t = fake::demo_tenant(); }

}  // namespace

TEST(OauthAuthCode, PublicClientOfTheDemoTenantGetsValidTokens) {
  identity_env env(use_demo_tenant);
  const auto& app = app_by_key(env, "good-public");
  ASSERT_EQ(app.redirect_uris, (std::vector<std::string>{"http://localhost", "http://127.0.0.1"}));
  rig r(env, app.client_id);
  for (const char* host : {"localhost", "127.0.0.1"}) {
    auto o = options(demo_alice);
    o.redirect_host = host;
    browser b(env.ca_file());
    auto res = r.tc.auth_code({}, o, b.navigate());
    b.join();
    ASSERT_TRUE(res.ok()) << host << ": " << res.message;
    EXPECT_EQ(b.authorize.status, 302);
    EXPECT_TRUE(b.authorize.location.starts_with(std::string("http://") + host + ":")) << b.authorize.location;
    EXPECT_EQ(b.landing.status, 200);
    EXPECT_NE(b.landing.body.find("You may close this window"), std::string::npos);
    auto claims = env.verified_claims(std::string(res.tokens->access_token.reveal()));
    ASSERT_TRUE(claims);
    EXPECT_EQ((*claims)["upn"], demo_alice);
    EXPECT_EQ((*claims)["aud"], "https://outlook.office.com");
    EXPECT_EQ((*claims)["appid"], app.client_id);
    EXPECT_NE((*claims)["scp"].get<std::string>().find("IMAP.AccessAsUser.All"), std::string::npos);
    ASSERT_FALSE(res.tokens->refresh_token.empty());  // offline_access was asked for
    // The refresh token works, and the code never reached the fake's event log.
    auto again = r.tc.refresh({}, res.tokens->refresh_token, oauth::delegated_scope);
    EXPECT_TRUE(again.ok()) << again.message;
    std::string code = location_params(b.authorize.location).value("code");
    ASSERT_FALSE(code.empty());
    EXPECT_EQ(env.events_dump().find(code), std::string::npos);
  }
  auto issued = env.events_of("authorize.code_issued");
  ASSERT_EQ(issued.size(), 2u);
  EXPECT_EQ(issued[0]["pkce"], "S256");
  EXPECT_EQ(issued[0]["upn"], demo_alice);
}

TEST(OauthAuthCode, ForgedStateIsRefusedBeforeAnyRedemption) {
  identity_env env(use_demo_tenant);
  rig r(env, app_by_key(env, "good-public").client_id);
  browser b(env.ca_file(), [](std::string location) {
    auto at = location.find("state=");
    return location.substr(0, at) + "state=forged" + location.substr(location.find('&', at));
  });
  auto res = r.tc.auth_code({}, options(demo_alice), b.navigate());
  b.join();
  EXPECT_EQ(res.ec, errc::bad_token_response) << res.message;
  EXPECT_FALSE(res.tokens);
  EXPECT_NE(res.message.find("cross-site request forgery"), std::string::npos) << res.message;
  EXPECT_EQ(b.landing.status, 400);
  EXPECT_EQ(env.events_of("authorize.code_issued").size(), 1u);
  EXPECT_TRUE(env.events_of("token.issued").empty());
  EXPECT_TRUE(env.events_of("token.error").empty());  // the code was never sent
  std::string code = location_params(b.authorize.location).value("code");
  ASSERT_FALSE(code.empty());
  EXPECT_EQ(res.message.find(code), std::string::npos);
}

TEST(OauthAuthCode, MissingConsentArrivesAsStructuredError) {
  identity_env env(use_demo_tenant);
  rig r(env, app_by_key(env, "delegated-no-consent").client_id);
  browser b(env.ca_file());
  auto res = r.tc.auth_code({}, options(demo_alice), b.navigate());
  b.join();
  EXPECT_EQ(res.ec, errc::token_request_denied);
  ASSERT_TRUE(res.aad) << res.message;
  EXPECT_EQ(res.aad->error, "consent_required");
  EXPECT_EQ(res.aad->code, 65001);
  EXPECT_TRUE(res.aad->description.starts_with("AADSTS65001: ")) << res.aad->description;
  EXPECT_EQ(res.aad->description.find("Trace ID"), std::string::npos);
  EXPECT_EQ(res.aad->trace_id.size(), 36u);
  EXPECT_EQ(res.aad->correlation_id.size(), 36u);
  EXPECT_FALSE(res.aad->timestamp.empty());
  EXPECT_TRUE(res.message.starts_with("AADSTS65001 consent_required (authorize redirect): ")) << res.message;
  EXPECT_EQ(res.endpoint, "GET " + env.url("/" + env.tenant.tenant_id + "/oauth2/v2.0/authorize"));
  EXPECT_EQ(b.authorize.status, 302);
  EXPECT_EQ(b.landing.status, 200);
  EXPECT_NE(b.landing.body.find("consent_required"), std::string::npos);
  EXPECT_TRUE(env.events_of("token.issued").empty());
}

TEST(OauthAuthCode, TokenEndpointChecksTheVerifier) {
  identity_env env(use_demo_tenant);
  rig r(env, app_by_key(env, "good-public").client_id);
  auto pkce = oauth::make_pkce();
  auto state = oauth::make_state();
  ASSERT_TRUE(pkce && state);
  const std::string redirect = "http://localhost:53123";  // never contacted: the browser stops at the 302
  oauth::authorize_request q{r.tc.endpoint().authorize_endpoint(), r.tc.endpoint().client_id, redirect,
                             oauth::delegated_scope, *state, pkce->challenge, demo_alice, ""};
  auto a = fetch(oauth::authorize_url(q), env.ca_file());
  ASSERT_EQ(a.status, 302) << a.body;
  auto p = location_params(a.location);
  EXPECT_EQ(p.value("state"), *state);
  secret_string code(p.value("code"));
  ASSERT_FALSE(code.empty());

  auto other = oauth::make_code_verifier();
  ASSERT_TRUE(other);
  auto tampered = r.tc.redeem_code({}, code, redirect, *other, oauth::delegated_scope);
  EXPECT_EQ(tampered.ec, errc::token_request_denied);
  ASSERT_TRUE(tampered.aad) << tampered.message;
  EXPECT_EQ(tampered.aad->error, "invalid_grant");
  EXPECT_EQ(tampered.aad->code, 501481);
  EXPECT_EQ(tampered.message.find(other->reveal()), std::string::npos);
  EXPECT_EQ(tampered.message.find(code.reveal()), std::string::npos);
  auto none = r.tc.redeem_code({}, code, redirect, secret_string(), oauth::delegated_scope);
  ASSERT_TRUE(none.aad);
  EXPECT_EQ(none.aad->code, 501481);  // a challenge was sent: the verifier is required
  // The genuine verifier still redeems it: the verifier was the only thing wrong.
  auto genuine = r.tc.redeem_code({}, code, redirect, pkce->verifier, oauth::delegated_scope);
  ASSERT_TRUE(genuine.ok()) << genuine.message;
  EXPECT_EQ(env.events_dump().find(code.reveal()), std::string::npos);
  EXPECT_EQ(env.events_dump().find(pkce->verifier.reveal()), std::string::npos);
}

TEST(OauthAuthCode, ConfidentialClientRedeemsWithItsSecret) {
  identity_env env;  // the test tenant: its good app is a web app with a secret and http://localhost
  rig r(env, idp::good_app);
  oauth::client_auth secret;
  secret.type = oauth::client_auth::kind::secret;
  secret.secret = secret_string(idp::good_secret);
  browser with(env.ca_file());
  auto ok = r.tc.auth_code(secret, options(idp::alice), with.navigate());
  with.join();
  ASSERT_TRUE(ok.ok()) << ok.message;
  auto issued = env.events_of("token.issued");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_EQ(issued[0]["appidacr"], "1");  // authenticated with the secret
  EXPECT_EQ(env.events_dump().find(idp::good_secret), std::string::npos);

  browser without(env.ca_file());
  auto denied = r.tc.auth_code({}, options(idp::alice), without.navigate());
  without.join();
  ASSERT_TRUE(denied.aad) << denied.message;
  EXPECT_EQ(denied.aad->code, 7000218);  // not a public client: a credential is required
}
