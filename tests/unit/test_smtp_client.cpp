// SMTP submission client FSM driven without sockets, against Exchange's own wire strings.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "exchange_wire.hpp"
#include "run_fsm.hpp"
#include "sasl/mechanism.hpp"
#include "smtp/smtp_fsm.hpp"

using namespace mh;
using namespace mh::test;

namespace {

std::vector<std::string> exchange_ok() { return exo::smtp_login_ok(); }

fsm_run run(std::vector<std::string> segs, login_options o = opts(protocol::smtp),
            run_options ro = {}) {
  auto fsm = make_client(o);
  return run_fsm(*fsm, std::move(segs), ro);
}

std::string payload_b64(const std::string& token = "tok-123456789") {
  return base64_encode(sasl::xoauth2_payload("alice@contoso.com", token));
}

}  // namespace

TEST(SmtpClient, ExchangeSubmissionLogin) {
  auto r = run(exchange_ok());
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines,
            (std::vector<std::string>{"EHLO localhost", "STARTTLS", "EHLO localhost",
                                      "AUTH XOAUTH2 " + payload_b64(),
                                      "MAIL FROM:<alice@contoso.com>", "RSET", "QUIT"}));
  EXPECT_EQ(r.handshakes, 1);
  EXPECT_EQ(r.facts.sasl_form, "initial-response");
}

TEST(SmtpClient, ByteByByte) {
  run_options ro;
  ro.read_size = 1;
  EXPECT_FALSE(run(exchange_ok(), opts(protocol::smtp), ro).outcome.error);
}

TEST(SmtpClient, AuthenticationUnsuccessful) {
  auto segs = exchange_ok();
  std::string reply =
      "535 5.7.3 Authentication unsuccessful [SN2PR00CA0018.namprd00.prod.outlook.com]";
  segs[4] = reply + "\r\n";
  segs[5] = "221 2.0.0 Service closing transmission channel\r\n";
  segs.resize(6);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.failed_phase, phase::auth);
  EXPECT_EQ(r.outcome.reply, reply);
  EXPECT_EQ(r.client_lines.back(), "QUIT");
}

TEST(SmtpClient, TenantSmtpAuthDisabled) {
  auto segs = exchange_ok();
  std::string reply =
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
      "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
      "[MN2PR05CA0004.namprd05.prod.outlook.com 2023-09-12T20:59:57.214Z 08DBB276B7E699C4]";
  segs[4] = reply + "\r\n";
  segs.resize(6);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.reply, reply);
}

TEST(SmtpClient, TwoStepWhenAsked) {
  auto o = opts(protocol::smtp);
  o.client.form = sasl::form::two_step;
  auto segs = exchange_ok();
  segs.insert(segs.begin() + 4, "334 \r\n");
  auto r = run(segs, o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines[3], "AUTH XOAUTH2");
  EXPECT_EQ(r.client_lines[4], payload_b64());
}

TEST(SmtpClient, TokenTooLongForTheAuthLineGoesTwoStep) {
  std::string big(13000, 'a');
  auto o = opts(protocol::smtp, "alice@contoso.com", big);
  auto segs = exchange_ok();
  segs.insert(segs.begin() + 4, "334 \r\n");
  auto r = run(segs, o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.facts.sasl_form, "two-step");
  EXPECT_EQ(r.client_lines[4], payload_b64(big));
}

TEST(SmtpClient, NotAuthenticatedAtMailFromFailsTheProbe) {
  auto segs = exchange_ok();
  segs[5] = "530 5.7.57 Client not authenticated to send mail.\r\n";
  segs[6] = "221 2.0.0 Bye\r\n";
  segs.resize(7);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::probe_denied);
  EXPECT_EQ(r.outcome.failed_phase, phase::probe);
  EXPECT_EQ(r.outcome.reply, "530 5.7.57 Client not authenticated to send mail.");
}

TEST(SmtpClient, SendsATestMessage) {
  auto o = opts(protocol::smtp);
  o.client.send_test_to = "bob@contoso.com";
  auto segs = exchange_ok();
  segs.pop_back();
  for (const char* s : {"250 2.1.0 Sender OK\r\n", "250 2.1.5 Recipient OK\r\n",
                        "354 Start mail input; end with <CRLF>.<CRLF>\r\n",
                        "250 2.0.0 OK <id> Queued mail for delivery\r\n", "221 2.0.0 Bye\r\n"})
    segs.push_back(s);
  auto r = run(segs, o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  auto& l = r.client_lines;
  EXPECT_NE(std::find(l.begin(), l.end(), "RCPT TO:<bob@contoso.com>"), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), "DATA"), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), "."), l.end());
}

TEST(SmtpClient, SendAsDeniedIsReported) {
  auto o = opts(protocol::smtp);
  o.client.send_test_to = "bob@contoso.com";
  o.client.probe = false;
  auto segs = exchange_ok();
  segs.resize(5);
  segs.push_back("550 5.7.60 SMTP; Client does not have permissions to send as this sender\r\n");
  segs.push_back("221 2.0.0 Bye\r\n");
  auto r = run(segs, o);
  EXPECT_EQ(r.outcome.error, errc::command_rejected);
  EXPECT_EQ(r.outcome.failed_phase, phase::send);
  EXPECT_NE(r.outcome.reply.find("5.7.60"), std::string::npos);
}

TEST(SmtpClient, MultiLineGreetingAndMalformedReplies) {
  auto segs = exchange_ok();
  segs[0] = "220-first line\r\n220 second line\r\n";
  EXPECT_FALSE(run(segs).outcome.error);
  EXPECT_EQ(run({"25O hello\r\n"}).outcome.error, errc::weird_server_reply);
  EXPECT_EQ(run({"220-a\r\n250 b\r\n"}).outcome.error, errc::weird_server_reply);
  EXPECT_EQ(run({"554 5.3.2 Service unavailable\r\n"}).outcome.error, errc::greeting_refused);
}

TEST(SmtpClient, ServiceClosingMidSession) {
  auto segs = exchange_ok();
  segs[4] = "421 4.3.2 Service not available, closing transmission channel\r\n";
  segs.resize(5);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::session_closed_by_peer);
  EXPECT_EQ(r.outcome.failed_phase, phase::auth);
}

TEST(SmtpClient, StartTlsRefusedAndMissing) {
  auto segs = exchange_ok();
  segs[2] = "454 4.7.0 TLS not available due to temporary reason\r\n";
  EXPECT_EQ(run(segs).outcome.error, errc::starttls_refused);
  segs = exchange_ok();
  segs[1] = "250-host Hello\r\n250 AUTH XOAUTH2\r\n";
  EXPECT_EQ(run(segs).outcome.error, errc::starttls_unavailable);
}

TEST(SmtpClient, ParseReplyRules) {
  EXPECT_TRUE(smtp::parse_reply({"250-a", "250 b"}));
  EXPECT_TRUE(smtp::parse_reply({"334"}));
  EXPECT_FALSE(smtp::parse_reply({"250-a", "251 b"}));
  EXPECT_FALSE(smtp::parse_reply({"250 a", "250 b"}));
  EXPECT_FALSE(smtp::parse_reply({"2500 a"}));
}
