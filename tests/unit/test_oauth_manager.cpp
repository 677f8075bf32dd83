// The token manager (DESIGN §6) with an injected clock and scripted token sources, so no
// test waits for real expiry: reuse while fresh, refresh at the margin with the rotated
// refresh token, the margin capped for short-lived tokens, invalid_grant falling back to a
// new sign-in, failures not cached, invalidation, the cache file, and single flight for
// threads and for coroutines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include <boost/asio/detached.hpp>

#include "net/asio.hpp"
#include "oauth/token_manager.hpp"
#include "session/token_await.hpp"

using namespace mh;
using namespace mh::oauth;

namespace {

struct script {
  std::atomic<std::int64_t> now{1'000'000};
  std::atomic<int> sign_ins{0}, redeems{0};
  std::int64_t lifetime = 3600;
  bool rotate = true;
  std::vector<std::string> redeemed;  // refresh tokens presented, in order
  std::mutex mu;

  token_result issue(const std::string& prefix, int n, bool with_rt) {
    token_result r;
    token_set t;
    t.access_token = secret_string(prefix + "-at-" + std::to_string(n));
    t.expires_in = lifetime;
    if (with_rt) t.refresh_token = secret_string(prefix + "-rt-" + std::to_string(n));
    t.scope = "scope";
    r.tokens = std::move(t);
    r.attempts = 1;
    return r;
  }
  token_source source(bool delegated) {
    token_source s;
    s.sign_in = [this, delegated] { return issue("signin", ++sign_ins, delegated); };
    if (delegated)
      s.redeem = [this](const secret_string& rt) {
        std::lock_guard l(mu);
        redeemed.emplace_back(rt.reveal());
        return issue("refresh", ++redeems, rotate);
      };
    return s;
  }
  unix_clock_fn clock() {
    return [this] { return now.load(); };
  }
};

cache_key key() { return {"https://login.example", "tenant", "client", "scope", ""}; }

token_result denied(const std::string& error) {
  token_result r;
  r.ec = make_error_code(errc::token_request_denied);
  r.message = "denied: " + error;
  aad_error a;
  a.error = error;
  a.http_status = 400;
  r.aad = a;
  r.attempts = 1;
  return r;
}

}  // namespace

TEST(TokenManager, ReusesAFreshTokenAndRefreshesAtTheMarginWithTheRotatedRefreshToken) {
  script s;
  token_manager m(key(), s.source(true), refresh_policy{std::chrono::seconds(600)}, nullptr, s.clock());
  auto a = m.acquire();
  ASSERT_TRUE(a.ok()) << a.message;
  EXPECT_EQ(a.token->source, "token endpoint");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(m.acquire().token->fingerprint, a.token->fingerprint);
  EXPECT_EQ(m.stats().requests, 1u);

  s.now += 3600 - 601;  // 601 s left: still usable
  EXPECT_EQ(m.acquire().token->source, "memory");
  s.now += 1;  // exactly at the margin: no longer usable
  auto b = m.acquire();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.token->source, "refreshed");
  EXPECT_NE(b.token->fingerprint, a.token->fingerprint);
  s.now += 3600 - 600;
  ASSERT_TRUE(m.acquire().ok());
  ASSERT_EQ(s.redeemed.size(), 2u);
  EXPECT_EQ(s.redeemed[0], "signin-rt-1");
  EXPECT_EQ(s.redeemed[1], "refresh-rt-1");  // the rotated one, not the first again
  auto st = m.stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.refreshes, 2u);
  EXPECT_EQ(st.sign_ins, 1u);
  EXPECT_EQ(st.from_memory, 6u);
  EXPECT_EQ(st.min_remaining_s, 601);  // the last use before the margin
  EXPECT_EQ(st.expired_handouts, 0u);
}

TEST(TokenManager, KeepsTheRefreshTokenThatWorkedWhenTheServerSendsNoNewOne) {
  script s;
  s.rotate = false;
  token_manager m(key(), s.source(true), refresh_policy{}, nullptr, s.clock());
  ASSERT_TRUE(m.acquire().ok());
  for (int i = 0; i < 3; ++i) {
    s.now += 3600;
    ASSERT_TRUE(m.acquire().ok());
  }
  EXPECT_EQ(s.redeemed, (std::vector<std::string>{"signin-rt-1", "signin-rt-1", "signin-rt-1"}));
}

TEST(TokenManager, CapsTheMarginAtHalfTheLifetimeOfShortLivedTokens) {
  script s;
  s.lifetime = 10;  // seconds; the default margin (600 s) would refresh on every use
  token_manager m(key(), s.source(false), refresh_policy{}, nullptr, s.clock());
  auto a = m.acquire();
  s.now += 4;
  EXPECT_EQ(m.acquire().token->fingerprint, a.token->fingerprint);  // 6 s left > 5
  s.now += 1;
  EXPECT_NE(m.acquire().token->fingerprint, a.token->fingerprint);  // 5 s left: refresh
  EXPECT_EQ(m.stats().requests, 2u);
}

TEST(TokenManager, RefusedRefreshTokenFallsBackToSignInAndIsDropped) {
  script s;
  auto src = s.source(true);
  int refusals = 0;
  src.redeem = [&](const secret_string&) {
    ++refusals;
    return denied("invalid_grant");
  };
  token_manager m(key(), src, refresh_policy{}, nullptr, s.clock());
  ASSERT_TRUE(m.acquire().ok());
  s.now += 3600;
  auto b = m.acquire();
  ASSERT_TRUE(b.ok()) << b.message;
  EXPECT_EQ(b.token->source, "token endpoint");
  EXPECT_EQ(refusals, 1);
  EXPECT_EQ(s.sign_ins, 2);
  auto st = m.stats();
  EXPECT_EQ(st.requests, 3u);
  EXPECT_EQ(st.failures, 1u);
}

TEST(TokenManager, FailuresAreReportedAndNotCached) {
  script s;
  int calls = 0;
  token_source src;
  src.sign_in = [&] {
    ++calls;
    return calls == 1 ? denied("invalid_client") : s.issue("signin", calls, false);
  };
  token_manager m(key(), src, refresh_policy{}, nullptr, s.clock());
  auto a = m.acquire();
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.ec, make_error_code(errc::token_request_denied));
  ASSERT_TRUE(a.aad);
  EXPECT_EQ(a.aad->error, "invalid_client");
  EXPECT_TRUE(m.acquire().ok());
  EXPECT_EQ(calls, 2);
}

TEST(TokenManager, NoWayToGetATokenIsAConfigurationError) {
  script s;
  token_manager m(key(), token_source{}, refresh_policy{}, nullptr, s.clock());
  auto a = m.acquire();
  EXPECT_FALSE(a.ok());
  EXPECT_EQ(a.ec, make_error_code(errc::config_invalid));
}

TEST(TokenManager, InvalidatedTokenIsReplacedOnlyIfStillCurrent) {
  script s;
  token_manager m(key(), s.source(false), refresh_policy{}, nullptr, s.clock());
  auto a = m.acquire();
  m.invalidate("sha256:not-this-one");
  EXPECT_EQ(m.acquire().token->fingerprint, a.token->fingerprint);
  m.invalidate(a.token->fingerprint);
  auto b = m.acquire();
  EXPECT_NE(b.token->fingerprint, a.token->fingerprint);
  m.invalidate(a.token->fingerprint);  // stale report about an old token: no effect
  EXPECT_EQ(m.acquire().token->fingerprint, b.token->fingerprint);
  EXPECT_EQ(m.stats().requests, 2u);
}

TEST(TokenManager, UsesAndFillsTheCacheFile) {
  char t[] = "/tmp/mh-mgr-XXXXXX";
  std::string dir = ::mkdtemp(t);
  token_cache cache(dir + "/tokens.json");
  script s;
  {
    token_manager m(key(), s.source(true), refresh_policy{}, &cache, s.clock());
    ASSERT_TRUE(m.acquire().ok());
  }
  std::optional<cache_entry> e;
  std::string why;
  ASSERT_FALSE(cache.load(key(), e, &why)) << why;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->access_token.reveal(), "signin-at-1");
  EXPECT_EQ(e->refresh_token.reveal(), "signin-rt-1");
  EXPECT_EQ(e->expires_at, s.now + 3600);
  {
    token_manager m(key(), s.source(true), refresh_policy{}, &cache, s.clock());
    auto a = m.acquire();
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a.token->source, "cache");
    s.now += 3600;
    ASSERT_TRUE(m.acquire().ok());  // refreshed with the cached refresh token
    EXPECT_EQ(s.redeemed, std::vector<std::string>{"signin-rt-1"});
  }
  ASSERT_FALSE(cache.load(key(), e, &why));
  EXPECT_EQ(e->refresh_token.reveal(), "refresh-rt-1");  // the rotated one is stored
  std::filesystem::remove_all(dir);
}

TEST(TokenManager, ConcurrentThreadsShareOneRequest) {
  script s;
  constexpr int n = 16;
  token_manager* mp = nullptr;
  token_source src;
  src.sign_in = [&] {
    // Hold the request until every other thread is waiting on it.
    while (mp->stats().joined < n - 1) std::this_thread::yield();
    return s.issue("signin", ++s.sign_ins, false);
  };
  token_manager m(key(), src, refresh_policy{}, nullptr, s.clock());
  mp = &m;
  std::vector<std::string> fps(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      auto r = m.acquire();
      fps[i] = r.ok() ? r.token->fingerprint : r.message;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(s.sign_ins, 1);
  for (const auto& f : fps) EXPECT_EQ(f, fps[0]);
  auto st = m.stats();
  EXPECT_EQ(st.requests, 1u);
  EXPECT_EQ(st.handed_out, static_cast<std::uint64_t>(n));
}

namespace {
net::awaitable<void> await_one(token_manager& m, std::vector<std::string>& out) {
  auto r = co_await await_token(m);
  out.push_back(r.ok() ? r.token->fingerprint : r.message);
}
}  // namespace

TEST(TokenManager, CoroutinesShareOneRequestWithoutBlockingTheExecutor) {
  script s;
  constexpr int n = 20;
  token_manager* mp = nullptr;
  token_source src;
  src.sign_in = [&] {
    while (mp->stats().joined < n - 1) std::this_thread::yield();
    return s.issue("signin", ++s.sign_ins, false);
  };
  token_manager m(key(), src, refresh_policy{}, nullptr, s.clock());
  mp = &m;
  net::io_context io;
  std::vector<std::string> fps;
  for (int i = 0; i < n; ++i) net::co_spawn(io, await_one(m, fps), net::detached);
  io.run();  // one thread: would deadlock if a coroutine blocked waiting for the request
  ASSERT_EQ(fps.size(), static_cast<std::size_t>(n));
  for (const auto& f : fps) EXPECT_EQ(f, fps[0]);
  EXPECT_EQ(m.stats().requests, 1u);
  // A fresh token is then handed out inline, still through the executor.
  fps.clear();
  net::co_spawn(io, await_one(m, fps), net::detached);
  io.restart();
  io.run();
  ASSERT_EQ(fps.size(), 1u);
  EXPECT_EQ(m.stats().requests, 1u);
}

TEST(TokenManager, LifetimeCountsFromTheAttemptThatAnsweredNotFromTheFirstRetry) {
  script s;
  token_source src;
  std::int64_t start = s.now;
  src.sign_in = [&] {
    s.now += 30;  // throttled: the answer came from a retry sent 30 s later
    auto r = s.issue("signin", 1, false);
    r.sent_at = s.now;
    r.attempts = 3;
    return r;
  };
  token_manager m(key(), src, refresh_policy{}, nullptr, s.clock());
  auto a = m.acquire();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.token->expires_at, start + 30 + 3600);
  EXPECT_EQ(a.token->attempts, 3);
}
