// IMAP client FSM driven without sockets, against Exchange's own wire strings.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "exchange_wire.hpp"
#include "run_fsm.hpp"
#include "sasl/mechanism.hpp"

using namespace mh;
using namespace mh::test;

namespace {

std::vector<std::string> exchange_ok() { return exo::imap_login_ok(); }

fsm_run run(std::vector<std::string> segs, login_options o = opts(protocol::imap),
            run_options ro = {}) {
  auto fsm = make_client(o);
  return run_fsm(*fsm, std::move(segs), ro);
}

std::string xoauth2_b64() {
  return base64_encode(sasl::xoauth2_payload("alice@contoso.com", "tok-123456789"));
}

}  // namespace

TEST(ImapClient, ExchangeLoginWithSaslIr) {
  auto r = run(exchange_ok());
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines,
            (std::vector<std::string>{"A001 CAPABILITY", "A002 AUTHENTICATE XOAUTH2 " + xoauth2_b64(),
                                      "A003 CAPABILITY", "A004 EXAMINE INBOX", "A005 LOGOUT"}));
  EXPECT_EQ(r.facts.mechanism, "XOAUTH2");
  EXPECT_EQ(r.facts.sasl_form, "initial-response");
  EXPECT_NE(r.facts.capabilities_after_auth.find("BACKENDAUTHENTICATE"), std::string::npos);
}

TEST(ImapClient, SameResultWhenFedOneByteAtATime) {
  run_options ro;
  ro.read_size = 1;
  auto r = run(exchange_ok(), opts(protocol::imap), ro);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines.size(), 5u);
}

TEST(ImapClient, AuthenticateFailedIsLoginDeniedWithExactReply) {
  auto segs = exchange_ok();
  segs[2] = "A002 NO AUTHENTICATE failed.\r\n";
  segs.resize(3);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.failed_phase, phase::auth);
  EXPECT_EQ(r.outcome.reply, "A002 NO AUTHENTICATE failed.");
}

TEST(ImapClient, AuthenticatedButNotConnectedFailsTheProbe) {
  auto segs = exchange_ok();
  segs[4] = "A004 BAD User is authenticated but not connected.\r\n";
  segs[5] = "A005 BAD User is authenticated but not connected.\r\n* BYE Connection closed. 14\r\n";
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::probe_denied);
  EXPECT_EQ(r.outcome.failed_phase, phase::probe);
  EXPECT_EQ(r.outcome.reply, "A004 BAD User is authenticated but not connected.");
  EXPECT_EQ(r.client_lines.back(), "A005 LOGOUT");  // still says goodbye
}

TEST(ImapClient, TwoStepWithoutSaslIr) {
  std::string caps = "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\nA001 OK done\r\n";
  auto r = run({exo::imap_greeting, caps, "+ \r\n", "A002 OK AUTHENTICATE completed.\r\n",
                exo::imap_caps_post + "A003 OK done\r\n", "A004 OK done\r\n",
                exo::imap_bye + "A005 OK done\r\n"});
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.facts.sasl_form, "two-step");
  ASSERT_GE(r.client_lines.size(), 3u);
  EXPECT_EQ(r.client_lines[1], "A002 AUTHENTICATE XOAUTH2");
  EXPECT_EQ(r.client_lines[2], xoauth2_b64());
}

TEST(ImapClient, BareContinuationWithoutSpaceIsAccepted) {
  std::string caps = "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\nA001 OK done\r\n";
  auto r = run({exo::imap_greeting, caps, "+\r\n", "A002 OK done\r\n", "A003 OK done\r\n",
                "A004 OK done\r\n", "A005 OK done\r\n"});
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
}

TEST(ImapClient, ErrorChallengeIsAcknowledgedAndReported) {
  std::string caps = "* CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER AUTH=XOAUTH2\r\nA001 OK done\r\n";
  std::string json = R"({"status":"invalid_token","schemes":"bearer","scope":"imap"})";
  auto r = run({exo::imap_greeting, caps, "+ " + base64_encode(json) + "\r\n",
                "A002 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"});
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.facts.mechanism, "OAUTHBEARER");  // auto prefers OAUTHBEARER
  EXPECT_EQ(r.facts.sasl_server_error, json);
  ASSERT_EQ(r.client_lines.size(), 4u);
  EXPECT_EQ(r.client_lines[2], "AQ==");  // RFC 7628 §3.2.3: %x01
  EXPECT_EQ(r.client_lines[3], "A003 LOGOUT");
}

TEST(ImapClient, SessionInvalidatedByeIsReportedWithItsText) {
  auto segs = exchange_ok();
  segs[4] = "* BYE Session invalidated - AccessTokenExpired\r\n";
  segs.resize(5);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::session_closed_by_peer);
  EXPECT_EQ(r.outcome.failed_phase, phase::probe);
  EXPECT_EQ(r.outcome.reply, "* BYE Session invalidated - AccessTokenExpired");
}

TEST(ImapClient, StartTlsUpgradesAndAsksCapabilitiesAgain) {
  auto o = opts(protocol::imap);
  o.tls = tls_mode::starttls;
  std::string plain_caps =
      "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nA001 OK done\r\n";
  auto r = run({"* OK ready\r\n", plain_caps, "A002 OK Begin TLS negotiation now.\r\n",
                "* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2\r\nA003 OK done\r\n",
                "A004 OK done\r\n", "A005 OK done\r\n", "A006 OK done\r\n", "A007 OK done\r\n"},
               o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.handshakes, 1);
  EXPECT_EQ(r.client_lines[1], "A002 STARTTLS");
  EXPECT_EQ(r.client_lines[2], "A003 CAPABILITY");
}

TEST(ImapClient, DataAfterStartTlsReplyIsRefused) {
  auto o = opts(protocol::imap);
  o.tls = tls_mode::starttls;
  auto r = run({"* OK ready\r\n", "* CAPABILITY IMAP4rev1 STARTTLS\r\nA001 OK done\r\n",
                "A002 OK go\r\n* CAPABILITY INJECTED\r\n"},
               o);
  EXPECT_EQ(r.outcome.error, errc::data_after_starttls);
  EXPECT_EQ(r.handshakes, 0);
}

TEST(ImapClient, MissingStartTlsIsReported) {
  auto o = opts(protocol::imap);
  o.tls = tls_mode::starttls;
  auto r = run({"* OK ready\r\n", "* CAPABILITY IMAP4rev1 AUTH=XOAUTH2\r\nA001 OK done\r\n"}, o);
  EXPECT_EQ(r.outcome.error, errc::starttls_unavailable);
}

TEST(ImapClient, MechanismNotAdvertised) {
  auto segs = exchange_ok();
  segs[1] = "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA001 OK done\r\n";
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::mech_unavailable);
  EXPECT_NE(r.outcome.message.find("PLAIN"), std::string::npos);
}

TEST(ImapClient, UnadvertisedMechanismTriedOnRequest) {
  auto o = opts(protocol::imap);
  o.client.mech = sasl::choice::oauthbearer;
  o.client.allow_unadvertised = true;
  auto r = run(exchange_ok(), o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_FALSE(r.facts.mechanism_advertised);
  EXPECT_EQ(r.facts.mechanism, "OAUTHBEARER");
}

TEST(ImapClient, GreetingVariants) {
  EXPECT_EQ(run({"* BYE Too many connections\r\n"}).outcome.error, errc::greeting_refused);
  EXPECT_EQ(run({"HELLO THERE\r\n"}).outcome.error, errc::weird_server_reply);
  EXPECT_EQ(run({"* PREAUTH welcome\r\n"}).outcome.error, errc::weird_server_reply);
  EXPECT_EQ(run({"* OK hi\n"}).outcome.error, errc::bare_lf);
  EXPECT_EQ(run({std::string("* OK h\0i\r\n", 10)}).outcome.error, errc::nul_in_line);
}

TEST(ImapClient, OverlongLineIsAProtocolError) {
  run_options ro;
  ro.limits.max_line = 1024;
  auto r = run({exo::imap_greeting, "* CAPABILITY " + std::string(5000, 'X') + "\r\n"},
               opts(protocol::imap), ro);
  EXPECT_EQ(r.outcome.error, errc::line_too_long);
  EXPECT_EQ(r.outcome.failed_phase, phase::capability);
}

TEST(ImapClient, UnexpectedContinuationAndWrongTag) {
  EXPECT_EQ(run({exo::imap_greeting, "+ go ahead\r\n"}).outcome.error,
            errc::unexpected_continuation);
  EXPECT_EQ(run({exo::imap_greeting, "B001 OK done\r\n"}).outcome.error,
            errc::weird_server_reply);
}

TEST(ImapClient, StallIsATimeoutInTheNamedPhase) {
  run_options ro;
  ro.stall_when_empty = true;
  auto r = run({exo::imap_greeting, exo::imap_caps_pre}, opts(protocol::imap), ro);
  EXPECT_EQ(r.outcome.error, errc::timed_out);
  EXPECT_EQ(r.outcome.failed_phase, phase::capability);
  EXPECT_NE(r.outcome.message.find("capability"), std::string::npos);
}

TEST(ImapClient, LiteralsInUntaggedResponsesAreRead) {
  auto segs = exchange_ok();
  segs[4] = "* LIST () \"/\" {5}\r\nINBOX\r\n" + exo::imap_examine_ok + "A004 OK done\r\n";
  run_options ro;
  ro.read_size = 1;
  auto r = run(segs, opts(protocol::imap), ro);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
}

TEST(ImapClient, TranscriptNeverShowsTheToken) {
  auto r = run(exchange_ok());
  for (const auto& l : r.transcript) {
    EXPECT_EQ(l.text.find("tok-123456789"), std::string::npos);
    EXPECT_EQ(l.text.find(xoauth2_b64()), std::string::npos);
  }
  bool shown = false;
  for (const auto& l : r.transcript)
    shown = shown || (l.dir == 'C' && l.text.starts_with("A002 AUTHENTICATE XOAUTH2 <XOAUTH2 "
                                                          "user=alice@contoso.com token sha256:"));
  EXPECT_TRUE(shown);
}

TEST(ImapClient, FetchStepReadsTheFirstMessageLiteral) {
  auto segs = exchange_ok();
  segs.back() = "* 1 FETCH (BODY[] {22}\r\nSubject: hi\r\n\r\nhello\r\n)\r\nA005 OK FETCH completed.\r\n";
  segs.push_back(exo::imap_bye + "A006 OK LOGOUT completed.\r\n");
  auto o = opts(protocol::imap);
  o.client.fetch = true;
  for (std::size_t read : {std::size_t{1}, std::size_t{4096}}) {
    run_options ro;
    ro.read_size = read;
    auto r = run(segs, o, ro);
    EXPECT_FALSE(r.outcome.error) << r.outcome.message;
    ASSERT_EQ(r.client_lines.size(), 6u);
    EXPECT_EQ(r.client_lines[4], "A005 FETCH 1 (BODY.PEEK[])");
  }
}

TEST(ImapClient, FetchStepSkippedOnAnEmptyMailboxAndRefusalReported) {
  auto o = opts(protocol::imap);
  o.client.fetch = true;
  auto segs = exchange_ok();
  segs[4] = "* 0 EXISTS\r\n* 0 RECENT\r\nA004 OK [READ-ONLY] EXAMINE completed.\r\n";
  auto r = run(segs, o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines.back(), "A005 LOGOUT");
  segs = exchange_ok();
  segs.back() = "A005 NO FETCH failed.\r\n";
  segs.push_back(exo::imap_bye + "A006 OK LOGOUT completed.\r\n");
  r = run(segs, o);
  EXPECT_EQ(r.outcome.error, errc::command_rejected);
  EXPECT_EQ(r.outcome.failed_phase, phase::fetch);
  EXPECT_EQ(r.outcome.reply, "A005 NO FETCH failed.");
}
