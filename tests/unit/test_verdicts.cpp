// The token-refresh verdicts (fakes/observe/verdicts.hpp) over synthetic event logs: each
// verdict passes on good behaviour, fails on its misbehaviour with an example pointing at
// the offending event, and is not_applicable without evidence.
#include <gtest/gtest.h>

#include "observe/verdicts.hpp"

using namespace mh::fake;

namespace {

const std::string app_id = "11111111-1111-1111-1111-111111111111";
const std::string pub_id = "22222222-2222-2222-2222-222222222222";
const std::string alice = "alice@contoso.onmicrosoft.com";
const std::string bob = "bob@contoso.onmicrosoft.com";
const std::string exo = "https://outlook.office365.com";

// Builds events shaped like the fake's (token_service.cpp, session_common.cpp, imap_session.cpp).
struct log_builder {
  std::vector<event> ev;

  std::size_t add(std::int64_t at_ms, std::string kind, nlohmann::json data) {
    ev.push_back({at_ms, std::move(kind), std::move(data)});
    return ev.size() - 1;
  }
  std::size_t app_token(std::int64_t at_ms, const std::string& token, int lifetime_s = 3600,
                        const std::string& aud = exo) {
    return add(at_ms, "token.issued",
               {{"grant", "client_credentials"}, {"client_id", app_id}, {"status", 200},
                {"aud", aud}, {"token", token}, {"lifetime_s", lifetime_s}});
  }
  // A delegated grant; `redeemed` set makes it a refresh_token grant.
  std::size_t user_token(std::int64_t at_ms, const std::string& upn, const std::string& token,
                         const std::string& new_rt, const std::string& redeemed = {},
                         bool reused = false, bool scope_sent = true, int lifetime_s = 3600) {
    nlohmann::json d = {{"grant", redeemed.empty() ? "password" : "refresh_token"},
                        {"client_id", pub_id}, {"status", 200}, {"upn", upn}, {"aud", exo},
                        {"token", token}, {"lifetime_s", lifetime_s},
                        {"refresh_family", "family-" + upn}, {"new_refresh_token", new_rt}};
    if (!redeemed.empty()) {
      d["refresh_token"] = redeemed;
      d["refresh_token_reused"] = reused;
      d["scope_sent"] = scope_sent;
    }
    return add(at_ms, "token.issued", std::move(d));
  }
  std::size_t use(std::int64_t at_ms, const std::string& token, std::int64_t remaining_s,
                  const std::string& principal = app_id, const std::string& peer = "127.0.0.1:1",
                  const std::string& mailbox = alice, const std::string& kind = "imap.auth") {
    bool app = principal == app_id;
    return add(at_ms, kind,
               {{"peer", peer}, {"mailbox", mailbox}, {"principal", principal},
                {"client_id", app ? app_id : pub_id}, {"app_only", app},
                {"verdict", remaining_s > 0 ? "ok" : "failed"}, {"token", token},
                {"token_remaining_s", remaining_s}, {"token_age_s", 10}});
  }
  refresh_verdicts eval(verdict_options o = {}) const { return evaluate(ev, o); }
};

const verdict& get(const refresh_verdicts& r, const std::string& client, const std::string& account,
                   std::string_view name) {
  const client_verdicts* c = r.find(client, account);
  if (!c) throw std::runtime_error("no entry for " + client + " / " + account);
  return c->get(name);
}

const verdict& app(const refresh_verdicts& r, std::string_view name) { return get(r, app_id, "", name); }

}  // namespace

TEST(Verdicts, NoEventsNoClients) {
  auto r = evaluate({}, {});
  EXPECT_TRUE(r.clients.empty());
  auto j = to_json(r);
  EXPECT_EQ(j["format"], "mailharness.verdicts/1");
  EXPECT_EQ(j["result"], "not_applicable");
  EXPECT_EQ(j["options"]["burst_window_ms"], 1000);
}

TEST(Verdicts, AClientWithoutEvidenceIsNotApplicableEverywhere) {
  log_builder b;
  b.add(0, "token.error", {{"grant", "client_credentials"}, {"client_id", app_id}, {"status", 401}});
  b.add(1, "token.error", {{"grant", "client_credentials"}, {"status", 400}});  // no client id
  auto r = b.eval();
  ASSERT_EQ(r.clients.size(), 1u);
  EXPECT_EQ(r.clients[0].kind, account_kind::app);
  for (const auto& v : r.clients[0].verdicts) {
    EXPECT_EQ(v.result(), verdict_result::not_applicable) << v.name;
    EXPECT_EQ(v.checked, 0u) << v.name;
  }
  EXPECT_EQ(r.clients[0].result(), verdict_result::not_applicable);
}

TEST(Verdicts, ExpiredTokenUseFailsTheThreeLifetimeVerdicts) {
  log_builder b;
  b.app_token(0, "sha256:aaaa");
  b.use(100, "sha256:aaaa", 3599);
  auto good = b.eval();
  EXPECT_EQ(app(good, "no_expired_token_use").result(), verdict_result::pass);
  EXPECT_EQ(app(good, "outside_rejection_window").result(), verdict_result::pass);
  EXPECT_EQ(app(good, "refreshes_before_expiry").result(), verdict_result::pass);

  std::size_t bad = b.use(3'601'000, "sha256:aaaa", -1, app_id, "127.0.0.1:2", alice, "smtp.auth");
  b.use(3'602'000, "sha256:aaaa", 0, app_id, "127.0.0.1:3", alice, "pop3.auth");
  auto r = b.eval();
  for (auto name : {"no_expired_token_use", "outside_rejection_window", "refreshes_before_expiry"}) {
    const verdict& v = app(r, name);
    EXPECT_EQ(v.result(), verdict_result::fail) << name;
    EXPECT_EQ(v.checked, 3u) << name;
    EXPECT_EQ(v.violations, 2u) << name;
    ASSERT_FALSE(v.examples.empty());
    EXPECT_EQ(v.examples[0].event, bad);
    EXPECT_EQ(v.examples[0].at_ms, 3'601'000);
    EXPECT_NE(v.examples[0].text.find("smtp.auth"), std::string::npos) << v.examples[0].text;
  }
  EXPECT_EQ(app(r, "refreshes_before_expiry").min_remaining_s, -1);
}

TEST(Verdicts, RejectionWindowAndMarginAreOptions) {
  log_builder b;
  b.app_token(0, "sha256:aaaa");
  b.use(1000, "sha256:aaaa", 900);
  b.use(2000, "sha256:aaaa", 300);
  auto dflt = b.eval();
  EXPECT_EQ(app(dflt, "outside_rejection_window").result(), verdict_result::pass);
  EXPECT_EQ(app(dflt, "refreshes_before_expiry").result(), verdict_result::pass);
  EXPECT_EQ(app(dflt, "refreshes_before_expiry").min_remaining_s, 300);

  auto r = b.eval({.rejection_window_s = 600, .margin_s = 0});
  EXPECT_EQ(app(r, "no_expired_token_use").result(), verdict_result::pass);
  EXPECT_EQ(app(r, "outside_rejection_window").result(), verdict_result::fail);
  EXPECT_EQ(app(r, "outside_rejection_window").violations, 1u);
  EXPECT_EQ(app(r, "outside_rejection_window").examples[0].event, 2u);
  EXPECT_EQ(app(r, "refreshes_before_expiry").result(), verdict_result::pass);

  auto m = b.eval({.rejection_window_s = 0, .margin_s = 301});
  EXPECT_EQ(app(m, "outside_rejection_window").result(), verdict_result::pass);
  EXPECT_EQ(app(m, "refreshes_before_expiry").result(), verdict_result::fail);
}

TEST(Verdicts, ConcurrentRequestsForAFreshTokenBreakSingleFlight) {
  log_builder b;
  b.app_token(0, "sha256:t1");
  std::size_t dup = b.app_token(12, "sha256:t2");
  auto r = b.eval();
  EXPECT_EQ(app(r, "single_flight").result(), verdict_result::fail);
  EXPECT_EQ(app(r, "single_flight").violations, 1u);
  EXPECT_EQ(app(r, "single_flight").examples[0].event, dup);
  EXPECT_EQ(app(r, "no_needless_refresh").result(), verdict_result::pass);
  // With no burst window, the same pair counts as a needless refresh instead.
  auto n = b.eval({.burst_window_ms = 0});
  EXPECT_EQ(app(n, "single_flight").result(), verdict_result::pass);
  EXPECT_EQ(app(n, "no_needless_refresh").result(), verdict_result::fail);
}

TEST(Verdicts, TwoRefreshesOfAnExpiringTokenAreStillDuplicates) {
  log_builder b;
  b.app_token(0, "sha256:t1", 10);
  b.app_token(9000, "sha256:t2", 10);  // 1 s left: a timely refresh
  b.app_token(9005, "sha256:t3", 10);  // a second one for the same moment
  auto r = b.eval();
  EXPECT_EQ(app(r, "single_flight").checked, 2u);
  EXPECT_EQ(app(r, "single_flight").violations, 1u);
  EXPECT_EQ(app(r, "single_flight").examples[0].event, 2u);
  EXPECT_EQ(app(r, "no_needless_refresh").result(), verdict_result::pass);
}

TEST(Verdicts, RefreshingWithMoreThanHalfTheLifetimeLeftIsNeedless) {
  log_builder b;
  b.app_token(0, "sha256:t1", 3600);
  b.app_token(1'900'000, "sha256:t2", 3600);  // 1700 s of 3600 left: fine
  b.app_token(1'900'000 + 5000, "sha256:t3", 3600, "https://graph.microsoft.com");  // other credential
  auto good = b.eval();
  EXPECT_EQ(app(good, "no_needless_refresh").result(), verdict_result::pass);
  EXPECT_EQ(app(good, "no_needless_refresh").checked, 1u);
  EXPECT_EQ(app(good, "single_flight").result(), verdict_result::pass);

  std::size_t needless = b.app_token(1'900'000 + 60'000, "sha256:t4", 3600);
  auto r = b.eval();
  EXPECT_EQ(app(r, "no_needless_refresh").result(), verdict_result::fail);
  EXPECT_EQ(app(r, "no_needless_refresh").examples[0].event, needless);
  EXPECT_NE(app(r, "no_needless_refresh").examples[0].text.find("3540 s of 3600 s left"),
            std::string::npos)
      << app(r, "no_needless_refresh").examples[0].text;
  EXPECT_EQ(app(r, "single_flight").result(), verdict_result::pass);
}

TEST(Verdicts, RedeemingASupersededRefreshTokenFails) {
  log_builder b;
  b.user_token(0, alice, "sha256:a1", "sha256:rt1");
  b.user_token(2'000'000, alice, "sha256:a2", "sha256:rt2", "sha256:rt1");
  b.user_token(4'000'000, alice, "sha256:a3", "sha256:rt3", "sha256:rt2");
  auto good = b.eval();
  EXPECT_EQ(get(good, pub_id, alice, "uses_rotated_refresh_token").result(), verdict_result::pass);
  EXPECT_EQ(get(good, pub_id, alice, "uses_rotated_refresh_token").checked, 2u);

  // Flagged by the fake (rt2 was redeemed before), and superseded without a flag (rt3 was
  // never redeemed, but rt4 replaced it).
  std::size_t flagged = b.user_token(6'000'000, alice, "sha256:a4", "sha256:rt4", "sha256:rt2", true);
  std::size_t unflagged = b.user_token(8'000'000, alice, "sha256:a5", "sha256:rt5", "sha256:rt3");
  auto r = b.eval();
  const verdict& v = get(r, pub_id, alice, "uses_rotated_refresh_token");
  EXPECT_EQ(v.result(), verdict_result::fail);
  EXPECT_EQ(v.violations, 2u);
  EXPECT_EQ(v.examples[0].event, flagged);
  EXPECT_EQ(v.examples[1].event, unflagged);
  EXPECT_NE(v.examples[1].text.find("sha256:rt4"), std::string::npos) << v.examples[1].text;
}

TEST(Verdicts, RefreshWithoutScopeFails) {
  log_builder b;
  b.user_token(0, alice, "sha256:a1", "sha256:rt1");
  b.user_token(2'000'000, alice, "sha256:a2", "sha256:rt2", "sha256:rt1");
  auto good = b.eval();
  EXPECT_EQ(get(good, pub_id, alice, "scope_on_refresh").result(), verdict_result::pass);
  EXPECT_EQ(get(good, pub_id, alice, "scope_on_refresh").checked, 1u);

  std::size_t bare = b.user_token(4'000'000, alice, "sha256:a3", "sha256:rt3", "sha256:rt2",
                                  false, false);
  // A refresh answered by an injected fault records only whether `scope` was in the form.
  b.add(4'000'100, "token.fault", {{"status", 503}, {"retry_after", 0}, {"delay_ms", 0}});
  std::size_t faulted = b.add(4'000'100, "token.error", {{"grant", "refresh_token"}, {"client_id", pub_id},
                                                         {"status", 503}, {"fault", true}});
  auto r = b.eval();
  const verdict& v = get(r, pub_id, alice, "scope_on_refresh");  // the fault joins Alice's entry
  EXPECT_EQ(v.result(), verdict_result::fail);
  EXPECT_EQ(v.checked, 3u);
  ASSERT_EQ(v.violations, 2u);
  EXPECT_EQ(v.examples[0].event, bare);
  EXPECT_EQ(v.examples[1].event, faulted);
}

TEST(Verdicts, RetryingBeforeRetryAfterFails) {
  auto throttled = [](log_builder& b, std::int64_t at, int retry_after) {
    b.add(at, "token.fault", {{"status", 429}, {"retry_after", retry_after}, {"delay_ms", 0}});
    return b.add(at, "token.error", {{"grant", "client_credentials"}, {"client_id", app_id},
                                     {"status", 429}, {"fault", true}});
  };
  log_builder none;
  none.app_token(0, "sha256:t1");
  EXPECT_EQ(app(none.eval(), "backs_off_on_throttle").result(), verdict_result::not_applicable);

  log_builder good;
  throttled(good, 1000, 2);
  good.app_token(3000, "sha256:t1");  // exactly Retry-After later
  auto g = good.eval();
  EXPECT_EQ(app(g, "backs_off_on_throttle").result(), verdict_result::pass);
  EXPECT_EQ(app(g, "backs_off_on_throttle").checked, 1u);

  log_builder bad;
  throttled(bad, 1000, 2);
  std::size_t early = throttled(bad, 1100, 2);  // hammering: throttled again
  throttled(bad, 1150, 2);
  bad.add(3000, "token.issued",  // inside the second answer's window (until 3150)
          {{"grant", "client_credentials"}, {"client_id", app_id}, {"status", 200}, {"aud", exo},
           {"token", "sha256:t1"}, {"lifetime_s", 3600}});
  auto r = bad.eval();
  const verdict& v = app(r, "backs_off_on_throttle");
  EXPECT_EQ(v.result(), verdict_result::fail);
  EXPECT_EQ(v.checked, 3u);
  EXPECT_EQ(v.violations, 3u);
  EXPECT_EQ(v.examples[0].event, early);
  EXPECT_NE(v.examples[0].text.find("429"), std::string::npos) << v.examples[0].text;

  // Retry-After recorded on the answer itself, and the fault's delay counts: the client
  // receives the answer delay_ms later.
  log_builder own;
  own.add(1000, "token.fault", {{"status", 503}, {"retry_after", 1}, {"delay_ms", 500}});
  own.add(1000, "token.error", {{"grant", "client_credentials"}, {"client_id", app_id},
                                {"status", 503}, {"fault", true}});
  own.app_token(2400, "sha256:t1");
  EXPECT_EQ(app(own.eval(), "backs_off_on_throttle").violations, 1u);
  log_builder direct;
  direct.add(0, "token.error", {{"grant", "client_credentials"}, {"client_id", app_id},
                                {"status", 503}, {"retry_after", 3}});
  direct.app_token(2999, "sha256:t1");
  EXPECT_EQ(app(direct.eval(), "backs_off_on_throttle").violations, 1u);
}

TEST(Verdicts, ReconnectAfterSessionExpiryNeedsANewToken) {
  auto expired_session = [](log_builder& b) {
    b.app_token(0, "sha256:t1", 10);
    b.use(100, "sha256:t1", 9, app_id, "127.0.0.1:1000");
    return b.add(10'500, "imap.session_expired", {{"peer", "127.0.0.1:1000"}, {"mailbox", alice}});
  };
  log_builder none;
  none.app_token(0, "sha256:t1");
  none.use(100, "sha256:t1", 3599);
  EXPECT_EQ(app(none.eval(), "reconnects_after_expiry").result(), verdict_result::not_applicable);

  log_builder good;
  expired_session(good);
  good.app_token(10'600, "sha256:t2", 10);
  good.use(10'700, "sha256:t2", 9, app_id, "127.0.0.1:1001");
  auto g = good.eval();
  EXPECT_EQ(app(g, "reconnects_after_expiry").result(), verdict_result::pass);
  EXPECT_EQ(app(g, "reconnects_after_expiry").checked, 1u);

  log_builder stale;  // comes back with the expired token only, then gives up
  std::size_t exp = expired_session(stale);
  stale.use(10'600, "sha256:t1", -1, app_id, "127.0.0.1:1001");
  stale.use(10'700, "sha256:t3", 9, app_id, "127.0.0.1:1002", bob);  // another mailbox
  auto r = stale.eval();
  const verdict& v = app(r, "reconnects_after_expiry");
  EXPECT_EQ(v.result(), verdict_result::fail);
  EXPECT_EQ(v.examples[0].event, exp);
  EXPECT_NE(v.examples[0].text.find(alice), std::string::npos);
}

TEST(Verdicts, SubjectsAreClientAndAccount) {
  log_builder b;
  b.user_token(0, alice, "sha256:a1", "sha256:rt1");
  b.user_token(10, bob, "sha256:b1", "sha256:rt9");  // another account: no duplicate
  b.app_token(20, "sha256:t1");
  // A mail event without client id (an older fake) is attributed by its token.
  b.add(30, "imap.auth", {{"peer", "p"}, {"mailbox", bob}, {"principal", ""}, {"app_only", false},
                          {"verdict", "failed"}, {"token", "sha256:b1"}, {"token_remaining_s", -5}});
  auto r = b.eval();
  ASSERT_EQ(r.clients.size(), 3u);
  EXPECT_EQ(r.clients[0].client_id, app_id);
  EXPECT_EQ(r.clients[0].kind, account_kind::app);
  EXPECT_EQ(r.clients[1].account, alice);
  EXPECT_EQ(r.clients[2].account, bob);
  EXPECT_EQ(get(r, pub_id, alice, "single_flight").result(), verdict_result::not_applicable);
  EXPECT_EQ(get(r, pub_id, bob, "no_expired_token_use").result(), verdict_result::fail);
  EXPECT_EQ(get(r, pub_id, alice, "no_expired_token_use").result(), verdict_result::not_applicable);

  auto j = to_json(r, pub_id);
  ASSERT_EQ(j["clients"].size(), 2u);
  EXPECT_EQ(j["result"], "fail");
  EXPECT_EQ(j["clients"][1]["account"], bob);
  EXPECT_EQ(j["clients"][1]["account_kind"], "user");
  EXPECT_EQ(j["clients"][1]["verdicts"]["no_expired_token_use"]["result"], "fail");
  EXPECT_EQ(j["clients"][1]["verdicts"]["no_expired_token_use"]["examples"][0]["event"], 3);
  EXPECT_EQ(j["clients"][1]["verdicts"]["refreshes_before_expiry"]["min_remaining_s"], -5);
  EXPECT_TRUE(to_json(r)["clients"][0]["account"].is_null());
}

TEST(Verdicts, ExamplesAreCappedButViolationsCounted) {
  log_builder b;
  b.app_token(0, "sha256:t1", 10);
  for (int i = 0; i < 8; ++i) b.use(20'000 + i, "sha256:t1", -10);
  auto r = b.eval();
  EXPECT_EQ(app(r, "no_expired_token_use").violations, 8u);
  EXPECT_EQ(app(r, "no_expired_token_use").examples.size(), max_examples);
}

TEST(Verdicts, OptionsFromJson) {
  std::string why;
  auto o = verdict_options_from_json(
      {{"rejection_window_s", "600"}, {"refresh_margin_s", 300}, {"client_id", "x"}}, {}, &why);
  ASSERT_TRUE(o) << why;
  EXPECT_EQ(o->rejection_window_s, 600);
  EXPECT_EQ(o->margin_s, 300);
  EXPECT_EQ(o->burst_window_ms, 1000);
  EXPECT_FALSE(verdict_options_from_json({{"burst_window_ms", "-1"}}, {}, &why));
  EXPECT_NE(why.find("burst_window_ms"), std::string::npos);
  EXPECT_FALSE(verdict_options_from_json({{"refresh_margin_s", "12x"}}, {}, &why));
  EXPECT_FALSE(verdict_options_from_json({{"refresh_margin_s", 1.5}}, {}, &why));
}
