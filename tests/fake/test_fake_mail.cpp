// The fake Exchange's mail servers against mailharness's own client, over loopback TLS:
// every setup step that is missing gives the answer Exchange gives (exchange-facts §1-§3,
// §8), and faults and session expiry behave as documented.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "fake_fixture.hpp"

using namespace mh;
using namespace mh::test;

namespace {

const std::string alice = "alice@contoso.onmicrosoft.com";
const std::string bob = "bob@contoso.onmicrosoft.com";

fake_fixture& fx() {
  static fake_fixture f;
  return f;
}

void expect_pass(const login_result& r) {
  EXPECT_TRUE(r.pass) << r.outcome.message << " / " << r.outcome.reply;
}

void expect_fail(const login_result& r, errc code, phase ph, std::string reply_prefix) {
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.outcome.error, code) << r.outcome.message;
  EXPECT_EQ(r.outcome.failed_phase, ph);
  EXPECT_TRUE(r.outcome.reply.starts_with(reply_prefix)) << r.outcome.reply;
}

}  // namespace

TEST(FakeMail, CompleteAppOnlySetupPassesOnEveryProtocol) {
  auto tok = fx().app_token("good");
  expect_pass(fx().login(protocol::imap, alice, tok));
  expect_pass(fx().login(protocol::pop3, alice, tok));
  expect_pass(fx().login(protocol::smtp, alice, tok));
}

TEST(FakeMail, GreetingsAndCapabilitiesAreExchangesOwn) {
  auto r = fx().login(protocol::imap, alice, fx().app_token("good"));
  EXPECT_TRUE(r.facts.greeting.starts_with("* OK The Microsoft Exchange IMAP4 service is ready. ["));
  EXPECT_EQ(r.facts.capabilities,
            "IMAP4 IMAP4REV1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE "
            "NAMESPACE LITERAL+");
  EXPECT_NE(r.facts.capabilities_after_auth.find("BACKENDAUTHENTICATE"), std::string::npos);
  auto p = fx().login(protocol::pop3, alice, fx().app_token("good"));
  EXPECT_TRUE(p.facts.greeting.starts_with("+OK The Microsoft Exchange POP3 service is ready. ["));
  EXPECT_EQ(p.facts.capabilities, "TOP | UIDL | SASL PLAIN XOAUTH2 | USER");
  auto s = fx().login(protocol::smtp, alice, fx().app_token("good"));
  EXPECT_NE(s.facts.greeting.find(" Microsoft ESMTP MAIL Service ready at "), std::string::npos);
  EXPECT_NE(s.facts.capabilities.find("AUTH LOGIN XOAUTH2"), std::string::npos);
}

TEST(FakeMail, TokenProblemsAreTheGenericFailure) {
  jwt::signing_key other = jwt::signing_key::generate();
  const auto& f = fx();
  auto graph = f.app_token("good", "https://graph.microsoft.com");
  auto expired = f.app_token("good", "https://outlook.office365.com", -10);
  nlohmann::json c = nlohmann::json::parse(R"({"aud":"https://outlook.office365.com"})");
  auto forged = f.sign({{"aud", "https://outlook.office365.com"},
                        {"iss", "https://sts.windows.net/" + f.tid() + "/"},
                        {"tid", f.tid()}, {"exp", unix_now() + 3600},
                        {"appid", f.t.find_app_by_key("good")->client_id},
                        {"roles", {"IMAP.AccessAsApp"}}},
                       &other);
  for (const auto& tok : {graph, expired, forged, std::string("EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA")}) {
    expect_fail(f.login(protocol::imap, alice, tok), errc::login_denied, phase::auth,
                "A002 NO AUTHENTICATE failed.");
    expect_fail(f.login(protocol::pop3, alice, tok), errc::login_denied, phase::auth,
                "-ERR Authentication failure: unknown user name or bad password.");
    expect_fail(f.login(protocol::smtp, alice, tok), errc::login_denied, phase::auth,
                "535 5.7.3 Authentication unsuccessful");
  }
}

TEST(FakeMail, EachBrokenAppGetsExchangesAnswer) {
  for (const char* app : {"no-permission", "no-consent", "no-service-principal", "wrong-object-id"}) {
    SCOPED_TRACE(app);
    auto tok = fx().app_token(app);
    expect_fail(fx().login(protocol::imap, alice, tok), errc::login_denied, phase::auth,
                "A002 NO AUTHENTICATE failed.");
    expect_fail(fx().login(protocol::smtp, alice, tok), errc::login_denied, phase::auth,
                "535 5.7.3 Authentication unsuccessful");
  }
  auto imap_only = fx().app_token("imap-only");
  expect_pass(fx().login(protocol::imap, alice, imap_only));
  expect_fail(fx().login(protocol::pop3, alice, imap_only), errc::login_denied, phase::auth, "-ERR");
}

TEST(FakeMail, MissingFullAccessOrImapSwitchIsAuthenticatedButNotConnected) {
  auto tok = fx().app_token("good");
  for (const char* box : {"no-fullaccess@contoso.onmicrosoft.com", "imap-disabled@contoso.onmicrosoft.com"}) {
    SCOPED_TRACE(box);
    auto r = fx().login(protocol::imap, box, tok);
    expect_fail(r, errc::probe_denied, phase::probe,
                "A004 BAD User is authenticated but not connected.");
  }
}

TEST(FakeMail, PopDisabledAndSmtpAuthSwitches) {
  auto tok = fx().app_token("good");
  expect_fail(fx().login(protocol::pop3, "pop-disabled@contoso.onmicrosoft.com", tok),
              errc::login_denied, phase::auth, "-ERR Authentication failure");
  expect_fail(fx().login(protocol::smtp, "smtp-disabled@contoso.onmicrosoft.com", tok),
              errc::login_denied, phase::auth,
              "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.");
  expect_fail(fx().login(protocol::smtp, "smtp-tenant-default@contoso.onmicrosoft.com", tok),
              errc::login_denied, phase::auth,
              "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.");
}

TEST(FakeMail, Pop3InitialResponseClosesTheConnection) {
  auto o = fx().options(protocol::pop3, alice, fx().app_token("good"));
  o.client.form = sasl::form::initial_response;
  auto r = login_blocking(o);
  expect_fail(r, errc::login_denied, phase::auth, "-ERR Protocol error. Connection is closed. 10");
}

TEST(FakeMail, ImapWithoutSaslIrAndSmtpTwoStep) {
  auto o = fx().options(protocol::imap, alice, fx().app_token("good"));
  o.client.form = sasl::form::two_step;
  expect_pass(login_blocking(o));
  auto s = fx().options(protocol::smtp, alice, fx().app_token("good"));
  s.client.form = sasl::form::two_step;
  expect_pass(login_blocking(s));
}

TEST(FakeMail, DelegatedTokensAndSharedMailboxes) {
  auto tok = fx().user_token(alice);
  expect_pass(fx().login(protocol::imap, alice, tok));
  expect_pass(fx().login(protocol::smtp, alice, tok));
  // IMAP: shared mailbox in user= with a delegate that has FullAccess (exchange-facts §3.7).
  expect_pass(fx().login(protocol::imap, "shared@contoso.onmicrosoft.com", tok));
  // SMTP: user= a shared mailbox fails 535 5.7.3 even so.
  expect_fail(fx().login(protocol::smtp, "shared@contoso.onmicrosoft.com", tok),
              errc::login_denied, phase::auth, "535 5.7.3");
  // Alice's token opening Bob's mailbox: authenticated but not connected.
  expect_fail(fx().login(protocol::imap, bob, tok), errc::probe_denied, phase::probe,
              "A004 BAD User is authenticated but not connected.");
  // A token without the IMAP scope.
  expect_fail(fx().login(protocol::imap, alice, fx().user_token(alice, "SMTP.Send")),
              errc::login_denied, phase::auth, "A002 NO AUTHENTICATE failed.");
}

TEST(FakeMail, SendAsIsEnforced) {
  auto o = fx().options(protocol::smtp, alice, fx().user_token(alice));
  o.client.send_test_to = bob;
  expect_pass(login_blocking(o));  // alice sends as herself
  auto before = fx().store.snapshot(bob).size();
  EXPECT_GE(before, 2u);  // the test message landed in Bob's INBOX
}

TEST(FakeMail, ExpireTokenFaultInvalidatesTheSession) {
  fake::fault_rule f;
  f.protocol = "imap";
  f.command = "AUTHENTICATE";
  f.action = fake::fault_rule::kind::expire_token;
  f.after_s = 0;
  f.times = 1;
  fx().faults.add(f);
  auto r = fx().login(protocol::imap, alice, fx().app_token("good"));
  expect_fail(r, errc::session_closed_by_peer, phase::capability3,
              "* BYE Session invalidated - AccessTokenExpired");
}

TEST(FakeMail, ReplyOverrideDelayAndDisconnectFaults) {
  fake::fault_rule reply;
  reply.protocol = "smtp";
  reply.command = "AUTH";
  reply.text = "454 4.7.0 Temporary authentication failure";
  reply.times = 1;
  fx().faults.add(reply);
  expect_fail(fx().login(protocol::smtp, alice, fx().app_token("good")), errc::login_denied,
              phase::auth, "454 4.7.0");
  fake::fault_rule drop;
  drop.protocol = "pop3";
  drop.command = "GREETING";
  drop.action = fake::fault_rule::kind::disconnect;
  drop.times = 1;
  fx().faults.add(drop);
  auto r = fx().login(protocol::pop3, alice, fx().app_token("good"));
  EXPECT_EQ(r.outcome.error, errc::connection_lost);
  EXPECT_EQ(r.outcome.failed_phase, phase::greeting);
  // Consumed: the next login is normal again.
  expect_pass(fx().login(protocol::pop3, alice, fx().app_token("good")));
}

TEST(FakeMail, EventsRecordWhatClientsDidWithoutSecrets) {
  auto tok = fx().app_token("good");
  auto before = fx().events.size();
  fx().login(protocol::imap, alice, tok);
  auto ev = fx().events.to_json(before).dump();
  EXPECT_NE(ev.find("\"imap.auth\""), std::string::npos);
  EXPECT_NE(ev.find("\"canonical\":true"), std::string::npos);
  EXPECT_NE(ev.find("\"verdict\":\"ok\""), std::string::npos);
  EXPECT_EQ(ev.find(tok), std::string::npos);
  EXPECT_EQ(ev.find(tok.substr(tok.size() - 20)), std::string::npos);  // not even the signature
}
