// The token providers (src/oauth) against the fake identity platform over HTTPS: every flow,
// certificate assertions, refresh rotation stored in the cache, token endpoint faults with
// Retry-After honoured through an injected sleeper (no real waiting), AADSTS errors, and a
// raw HTTP server for bodies the fake never sends (10 MiB, HTML).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/error.hpp"
#include "core/redact.hpp"
#include "identity_env.hpp"
#include "jwt/jwt.hpp"
#include "oauth/providers.hpp"
#include "oauth/token_cache.hpp"

using namespace mh;
using namespace mh::test;
using namespace std::chrono_literals;

namespace {

struct rig {
  identity_env& env;
  oauth::http_client http;
  oauth::token_client tc;
  std::vector<std::chrono::milliseconds> slept;
  rig(identity_env& e, const std::string& client)
      : env(e),
        http(oauth::http_options{e.ca_file()}),
        tc({e.url(""), idp::tenant_id, client}, http, [&e] { return e.now.load(); }) {
    http.sleep = [this](std::chrono::milliseconds d) { slept.push_back(d); };
    http.random = [] { return 0.5; };
  }
};

oauth::client_auth secret(const char* s) {
  oauth::client_auth a;
  a.type = oauth::client_auth::kind::secret;
  a.secret = secret_string(s);
  return a;
}

oauth::client_auth certificate(const std::string& key_pem, const char* alg) {
  oauth::client_auth a;
  a.type = oauth::client_auth::kind::certificate;
  a.cert.cert_pem = identity_material::get().client_cert_pem;
  a.cert.key_pem = secret_string(key_pem);
  a.cert.alg = alg;
  return a;
}

// One-shot plain-HTTP server on 127.0.0.1 answering every request with `response`.
class raw_http {
 public:
  explicit raw_http(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          ssize_t n = ::read(c, buf, sizeof buf);
          if (n <= 0) break;
          req.append(buf, static_cast<std::size_t>(n));
        }
        std::size_t off = 0;
        while (off < response_.size()) {
          ssize_t n = ::send(c, response_.data() + off, response_.size() - off, MSG_NOSIGNAL);
          if (n <= 0) break;
          off += static_cast<std::size_t>(n);
        }
        ::close(c);
      }
    });
  }
  ~raw_http() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string authority() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string response_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST(OauthFlows, ClientCredentialsWithSecretInBodyAndBasic) {
  identity_env env;
  rig r(env, idp::good_app);
  auto res = r.tc.client_credentials(secret(idp::good_secret), oauth::app_only_scope);
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(res.attempts, 1);
  auto claims = env.verified_claims(std::string(res.tokens->access_token.reveal()));
  ASSERT_TRUE(claims);
  EXPECT_EQ((*claims)["appid"], idp::good_app);
  EXPECT_EQ((*claims)["appidacr"], "1");
  EXPECT_GT(res.tokens->expires_in, 3000);
  auto basic = secret(idp::good_secret);
  basic.basic = true;
  EXPECT_TRUE(r.tc.client_credentials(basic, oauth::app_only_scope).ok());
  EXPECT_TRUE(r.slept.empty());
  EXPECT_EQ(env.events_dump().find(idp::good_secret), std::string::npos);
}

TEST(OauthFlows, ClientCredentialsWithCertificatePs256AndRs256) {
  identity_env env;
  rig r(env, idp::good_app);
  for (const char* alg : {"PS256", "RS256"}) {
    auto res = r.tc.client_credentials(certificate(identity_material::get().client_key_pem, alg),
                                       oauth::app_only_scope);
    ASSERT_TRUE(res.ok()) << alg << ": " << res.message;
    auto claims = env.verified_claims(std::string(res.tokens->access_token.reveal()));
    ASSERT_TRUE(claims);
    EXPECT_EQ((*claims)["appidacr"], "2") << alg;  // certificate
  }
  // A key that does not belong to the registered certificate: AADSTS700027.
  auto bad = r.tc.client_credentials(certificate(identity_material::get().other_key_pem, "PS256"),
                                     oauth::app_only_scope);
  EXPECT_EQ(bad.ec, errc::token_request_denied);
  ASSERT_TRUE(bad.aad);
  EXPECT_EQ(bad.aad->code, 700027);
}

TEST(OauthFlows, AadstsErrorsSurfaceWithCode) {
  identity_env env;
  rig r(env, idp::good_app);
  auto res = r.tc.client_credentials(secret("wrong-secret"), oauth::app_only_scope);
  EXPECT_EQ(res.ec, errc::token_request_denied);
  ASSERT_TRUE(res.aad);
  EXPECT_EQ(res.aad->http_status, 401);
  EXPECT_EQ(res.aad->error, "invalid_client");
  EXPECT_EQ(res.aad->code, 7000215);
  EXPECT_EQ(res.aad->trace_id.size(), 36u);
  EXPECT_EQ(res.aad->correlation_id.size(), 36u);
  EXPECT_TRUE(res.message.starts_with("AADSTS7000215 invalid_client (HTTP 401)")) << res.message;
  EXPECT_EQ(res.message.find("wrong-secret"), std::string::npos);
  EXPECT_EQ(res.attempts, 1);  // 401 is not retried
  EXPECT_EQ(res.endpoint, "POST " + env.url(std::string("/") + idp::tenant_id + "/oauth2/v2.0/token"));
  auto scope = r.tc.client_credentials(secret(idp::good_secret), "https://outlook.office365.com/IMAP.AccessAsApp");
  ASSERT_TRUE(scope.aad);
  EXPECT_EQ(scope.aad->code, 1002012);
  rig pub(env, idp::public_app);
  auto mfa = pub.tc.password({}, idp::bob, secret_string(idp::user_password), oauth::delegated_scope);
  ASSERT_TRUE(mfa.aad);
  EXPECT_EQ(mfa.aad->code, 50076);
}

TEST(OauthFlows, PasswordThenRefreshRotationStoredInCache) {
  identity_env env;
  rig r(env, idp::public_app);
  auto first = r.tc.password({}, idp::alice, secret_string(idp::alice_password), oauth::delegated_scope);
  ASSERT_TRUE(first.ok()) << first.message;
  ASSERT_FALSE(first.tokens->refresh_token.empty());

  char t[] = "/tmp/mh-flows-XXXXXX";
  std::string dir = ::mkdtemp(t);
  oauth::token_cache cache(dir + "/tokens.json");
  oauth::cache_key key{env.url(""), idp::tenant_id, idp::public_app, oauth::delegated_scope, idp::alice};
  auto to_entry = [&](const oauth::token_set& s) {
    return oauth::cache_entry{s.access_token, env.now + s.expires_in, std::nullopt, s.refresh_token, s.scope, env.now};
  };
  std::string why;
  ASSERT_FALSE(cache.store(key, to_entry(*first.tokens), &why)) << why;

  env.now += 3600;
  std::optional<oauth::cache_entry> cached;
  ASSERT_FALSE(cache.load(key, cached, &why));
  ASSERT_TRUE(cached);
  auto second = r.tc.refresh({}, cached->refresh_token, oauth::delegated_scope);
  ASSERT_TRUE(second.ok()) << second.message;
  EXPECT_NE(second.tokens->refresh_token.reveal(), first.tokens->refresh_token.reveal());  // rotated
  ASSERT_FALSE(cache.store(key, to_entry(*second.tokens), &why));
  ASSERT_FALSE(cache.load(key, cached, &why));
  EXPECT_EQ(cached->refresh_token.reveal(), second.tokens->refresh_token.reveal());
  // The fake saw scope on the refresh, and the rotated token was not a reuse.
  auto ev = env.events_of("token.issued");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1]["scope_sent"], true);
  EXPECT_EQ(ev[1]["refresh_token_reused"], false);
  EXPECT_EQ(ev[1]["refresh_token"], fingerprint(first.tokens->refresh_token.reveal()));
  std::filesystem::remove_all(dir);
}

TEST(OauthFlows, DeviceCodeApprovedThroughControlApi) {
  identity_env env;
  rig r(env, idp::public_app);
  std::string user_code;
  std::vector<std::chrono::milliseconds> polls;
  auto res = r.tc.device_code(
      {}, oauth::delegated_scope, [&](const oauth::device_prompt& p) { user_code = p.user_code; },
      [&](std::chrono::milliseconds d) {
        polls.push_back(d);
        env.now += d.count() / 1000;
        if (polls.size() == 2) {  // the first poll saw authorization_pending
          EXPECT_EQ(env.post_json("/_fake/devicecode/approve", {{"user_code", user_code}, {"upn", idp::alice}}).status, 200);
        }
      });
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(polls, (std::vector<std::chrono::milliseconds>{5s, 5s}));
  auto claims = env.verified_claims(std::string(res.tokens->access_token.reveal()));
  ASSERT_TRUE(claims);
  EXPECT_EQ((*claims)["upn"], idp::alice);
}

TEST(OauthFlows, RetryAfterHonouredOn429And500Retried) {
  identity_env env;
  rig r(env, idp::good_app);
  env.server().faults().set({429, 3, 0, 2});
  auto res = r.tc.client_credentials(secret(idp::good_secret), oauth::app_only_scope);
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(res.attempts, 3);
  EXPECT_EQ(r.slept, (std::vector<std::chrono::milliseconds>{3000ms, 3000ms}));
  r.slept.clear();
  env.server().faults().set({500, 0, 0, 1});
  auto again = r.tc.client_credentials(secret(idp::good_secret), oauth::app_only_scope);
  ASSERT_TRUE(again.ok()) << again.message;
  EXPECT_EQ(r.slept, std::vector<std::chrono::milliseconds>{500ms});
  // Faults outlasting the attempts: the last error is reported, after max_attempts.
  r.slept.clear();
  env.server().faults().set({503, 1, 0, 10});
  auto fail = r.tc.client_credentials(secret(idp::good_secret), oauth::app_only_scope);
  EXPECT_FALSE(fail.ok());
  EXPECT_EQ(fail.attempts, 4);
  EXPECT_EQ(r.slept.size(), 3u);
}

TEST(OauthFlows, HugeAndNonJsonBodiesAndUnreachable) {
  oauth::http_client http;
  http.sleep = [](std::chrono::milliseconds) {};
  {
    std::string big(10 << 20, 'x');
    raw_http s("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(big.size()) + "\r\n\r\n" + big);
    oauth::token_client tc({s.authority(), "t", "c"}, http);
    auto res = tc.client_credentials({}, oauth::app_only_scope);
    EXPECT_EQ(res.ec, errc::response_too_large) << res.message;
    EXPECT_NE(res.message.find("/t/oauth2/v2.0/token"), std::string::npos) << res.message;
  }
  {
    std::string big(10 << 20, 'x');  // no Content-Length: the write callback enforces the cap
    raw_http s("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + big);
    oauth::token_client tc({s.authority(), "t", "c"}, http);
    EXPECT_EQ(tc.client_credentials({}, oauth::app_only_scope).ec, errc::response_too_large);
  }
  {
    raw_http s("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>portal</html>\n");
    oauth::token_client tc({s.authority(), "t", "c"}, http);
    auto res = tc.client_credentials({}, oauth::app_only_scope);
    EXPECT_EQ(res.ec, errc::bad_token_response);
    EXPECT_NE(res.message.find("not valid JSON"), std::string::npos) << res.message;
  }
  {
    std::vector<std::chrono::milliseconds> slept;
    http.sleep = [&](std::chrono::milliseconds d) { slept.push_back(d); };
    oauth::token_client tc({"https://127.0.0.1:1", "t", "c"}, http);
    auto res = tc.client_credentials({}, oauth::app_only_scope);
    EXPECT_EQ(res.ec, errc::connect_failed) << res.message;
    EXPECT_EQ(classify(res.ec), error_class::connect);
    EXPECT_EQ(slept.size(), 3u);
    EXPECT_NE(res.message.find("https://127.0.0.1:1/t/oauth2/v2.0/token: connect:"), std::string::npos) << res.message;
  }
}

TEST(OauthFlows, UntrustedCertificateIsNotRetried) {
  identity_env env;
  oauth::http_client http;  // system trust store: the fake's CA is unknown
  http.sleep = [](std::chrono::milliseconds) { FAIL() << "no retry on a certificate error"; };
  oauth::token_client tc({env.url(""), idp::tenant_id, idp::good_app}, http);
  auto res = tc.client_credentials(secret(idp::good_secret), oauth::app_only_scope);
  EXPECT_EQ(res.ec, errc::cert_untrusted) << res.message;
  EXPECT_EQ(res.attempts, 1);
}
