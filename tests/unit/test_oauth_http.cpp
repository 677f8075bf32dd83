// Retry decisions of the HTTP client with a scripted transport and an injected sleeper: no
// socket, no real waiting. 429 honours Retry-After, 5xx and transport failures back off
// exponentially, other 4xx are never retried.
#include <gtest/gtest.h>

#include <deque>

#include "core/error.hpp"
#include "oauth/http_client.hpp"

using namespace mh;
using namespace mh::oauth;
using namespace std::chrono_literals;

namespace {

http_outcome status(long s, std::string retry_after = {}) {
  http_outcome o;
  o.response.status = s;
  o.response.retry_after = std::move(retry_after);
  o.response.body = "{}";
  return o;
}

http_outcome transport_error(errc e) {
  http_outcome o;
  o.ec = e;
  o.error = "POST https://login.example/t/oauth2/v2.0/token: connect: refused";
  return o;
}

struct scripted {
  std::deque<http_outcome> replies;
  std::vector<http_request> seen;
  std::vector<std::chrono::milliseconds> slept;
  http_client client;
  explicit scripted(std::vector<http_outcome> r)
      : replies(r.begin(), r.end()),
        client({}, [this](const http_request& q) {
          seen.push_back(q);
          auto o = replies.front();
          if (replies.size() > 1) replies.pop_front();
          return o;
        }) {
    client.sleep = [this](std::chrono::milliseconds d) { slept.push_back(d); };
    client.clock = [] { return std::int64_t{1'700'000'000}; };
    client.random = [] { return 0.5; };  // jitter factor exactly 1
  }
};

}  // namespace

TEST(OauthHttp, RetryAfterHonouredOn429) {
  scripted s({status(429, "7"), status(200)});
  auto o = s.client.post_form("https://login.example/t/oauth2/v2.0/token", {{"client_secret", "s3cr3t"}});
  EXPECT_FALSE(o.ec);
  EXPECT_EQ(o.response.status, 200);
  EXPECT_EQ(o.attempts, 2);
  EXPECT_EQ(s.slept, std::vector<std::chrono::milliseconds>{7000ms});
  ASSERT_EQ(s.seen.size(), 2u);
  EXPECT_EQ(s.seen[0].body, "client_secret=s3cr3t");
  EXPECT_EQ(s.seen[0].headers.back(), "Content-Type: application/x-www-form-urlencoded");
}

TEST(OauthHttp, ServerErrorsBackOffExponentially) {
  scripted s({status(500), status(502), status(503), status(200)});
  auto o = s.client.get("https://login.example/x");
  EXPECT_EQ(o.response.status, 200);
  EXPECT_EQ(o.attempts, 4);
  EXPECT_EQ(s.slept, (std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms}));
}

TEST(OauthHttp, GivesUpAfterMaxAttempts) {
  scripted s({status(504)});
  s.client.retry.max_attempts = 3;
  auto o = s.client.get("https://login.example/x");
  EXPECT_EQ(o.response.status, 504);
  EXPECT_EQ(o.attempts, 3);
  EXPECT_EQ(s.slept.size(), 2u);
}

TEST(OauthHttp, ClientErrorsAreNeverRetried) {
  for (long st : {400L, 401L, 403L, 404L, 200L}) {
    scripted s({status(st), status(200)});
    auto o = s.client.get("https://login.example/x");
    EXPECT_EQ(o.response.status, st);
    EXPECT_EQ(o.attempts, 1);
    EXPECT_TRUE(s.slept.empty()) << st;
  }
}

TEST(OauthHttp, TransportFailures) {
  scripted s({transport_error(errc::connect_failed), status(200)});
  auto o = s.client.get("https://login.example/x");
  EXPECT_EQ(o.response.status, 200);
  EXPECT_EQ(s.slept, std::vector<std::chrono::milliseconds>{500ms});

  scripted bad_cert({transport_error(errc::cert_untrusted)});
  auto c = bad_cert.client.get("https://login.example/x");
  EXPECT_EQ(c.ec, errc::cert_untrusted);
  EXPECT_EQ(c.attempts, 1);

  scripted down({transport_error(errc::connect_failed)});
  auto d = down.client.get("https://login.example/x");
  EXPECT_EQ(d.ec, errc::connect_failed);
  EXPECT_EQ(d.attempts, 4);
  EXPECT_NE(d.error.find("(after 4 attempts)"), std::string::npos);
}

TEST(OauthHttp, RetryAfterFormsAndCap) {
  EXPECT_EQ(parse_retry_after("120", 0), 120'000ms);
  EXPECT_EQ(parse_retry_after(" 0 ", 0), 0ms);
  // 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", 1'700'000'000), 30'000ms);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", 1'700'000'000), 0ms);
  EXPECT_FALSE(parse_retry_after("", 0));
  EXPECT_FALSE(parse_retry_after("soon", 0));
  EXPECT_FALSE(parse_retry_after("-5", 0));

  scripted s({status(503, "3600"), status(200)});
  s.client.get("https://login.example/x");
  EXPECT_EQ(s.slept, std::vector<std::chrono::milliseconds>{60'000ms});  // max_retry_after

  retry_policy p;
  auto d = backoff_delay(status(500), 10, p, 0, 0.999);
  EXPECT_LE(d, 10'000ms);  // max_delay 8 s plus at most 25 % jitter
  EXPECT_GE(backoff_delay(status(500), 1, p, 0, 0.0), 375ms);
}

TEST(OauthHttp, EncodingAndDisplay) {
  EXPECT_EQ(form_encode({{"scope", "https://outlook.office365.com/.default"}, {"a b", "x&y=z"}}),
            "scope=https%3A%2F%2Foutlook.office365.com%2F.default&a%20b=x%26y%3Dz");
  EXPECT_EQ(url_for_display("https://h/t/oauth2/v2.0/token?code=secret#frag"), "https://h/t/oauth2/v2.0/token");
}
