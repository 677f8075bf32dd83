// The fake's switches and limits: the 3-submitter SMTP limit (432 4.3.2), the POP3
// continuation-line limit, and the session cap, each with a fake configured for it.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "fake_fixture.hpp"
#include "raw_client.hpp"
#include "sasl/mechanism.hpp"

using namespace mh;
using namespace mh::test;

namespace {
const std::string alice = "alice@contoso.onmicrosoft.com";
}

TEST(FakeLimits, FourthConcurrentSmtpSubmitterGets432) {
  fake::mail_config cfg;
  cfg.smtp_concurrency_limit = true;
  fake_fixture f(cfg);
  std::string b64 = base64_encode(sasl::xoauth2_payload(alice, f.app_token("good")));
  std::vector<std::unique_ptr<raw_client>> held;
  for (int i = 0; i < 3; ++i) {
    auto c = std::make_unique<raw_client>(f.servers->smtp_port(), f.pki.ca_file, false);
    c->line();
    c->send("EHLO held");
    c->until("250 ");
    c->send("STARTTLS");
    c->line();
    c->starttls();
    c->send("EHLO held");
    c->until("250 ");
    c->send("AUTH XOAUTH2 " + b64);
    ASSERT_EQ(c->line(), "235 2.7.0 Authentication successful");
    held.push_back(std::move(c));
  }
  auto r = f.login(protocol::smtp, alice, f.app_token("good"));
  EXPECT_EQ(r.outcome.error, errc::probe_denied);
  EXPECT_TRUE(r.outcome.reply.starts_with("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"))
      << r.outcome.reply;
  held.pop_back();  // one submitter leaves: a new one gets in
  held.back()->send("QUIT");
  held.back()->line();
  held.pop_back();
  auto ok = f.login(protocol::smtp, alice, f.app_token("good"));
  EXPECT_TRUE(ok.pass) << ok.outcome.reply;
}

TEST(FakeLimits, Pop3ContinuationLineLimit) {
  fake::mail_config cfg;
  cfg.pop3_max_auth_line = 200;
  fake_fixture f(cfg);
  auto r = f.login(protocol::pop3, alice, f.app_token("good"));  // JWTs are far longer
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.reply, "-ERR Protocol error. Connection is closed. 10");
}

// At the cap the oldest session that has not authenticated makes room (as Dovecot does).
TEST(FakeLimits, SessionCapEvictsTheOldestUnauthenticated) {
  fake::mail_config cfg;
  cfg.max_sessions = 2;
  fake_fixture f(cfg);
  raw_client a(f.servers->imap_port(), f.pki.ca_file, true);
  raw_client b(f.servers->imap_port(), f.pki.ca_file, true);
  a.line();
  b.line();
  auto r = f.login(protocol::imap, alice, f.app_token("good"));
  EXPECT_TRUE(r.pass) << r.outcome.reply;
  EXPECT_TRUE(a.line().starts_with("<error")) << "the oldest session was dropped";
  b.send("b1 NOOP");
  EXPECT_EQ(b.line(), "b1 OK NOOP completed.");
  EXPECT_EQ(f.servers->evicted_sessions(), 1u);
}

// Only when every session has authenticated is a new connection refused, with a BYE.
TEST(FakeLimits, SessionCapRefusesWhenEverySessionAuthenticated) {
  fake::mail_config cfg;
  cfg.max_sessions = 2;
  fake_fixture f(cfg);
  std::string b64 = base64_encode(sasl::xoauth2_payload(alice, f.app_token("good")));
  raw_client a(f.servers->imap_port(), f.pki.ca_file, true);
  raw_client b(f.servers->imap_port(), f.pki.ca_file, true);
  for (auto* c : {&a, &b}) {
    c->line();
    c->send("a1 AUTHENTICATE XOAUTH2 " + b64);
    ASSERT_EQ(c->line(), "a1 OK AUTHENTICATE completed.");
  }
  raw_client c(f.servers->imap_port(), f.pki.ca_file, true);
  EXPECT_EQ(c.line(), "* BYE Too many connections, try again later.");
  auto o = f.options(protocol::imap, alice, f.app_token("good"));
  o.timeout = std::chrono::seconds(5);
  EXPECT_FALSE(login_blocking(o).pass);
  EXPECT_EQ(f.servers->refused_sessions(), 2u);
  EXPECT_EQ(f.servers->evicted_sessions(), 0u);
  EXPECT_EQ(f.servers->active_sessions(), 2u);
}
