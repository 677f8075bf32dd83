// Raw protocol dialogues with the fake: states, unknown and malformed commands get the
// protocol's own error, and the mailbox commands real clients use answer as RFC 3501/1939
// and Exchange do.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "fake_fixture.hpp"
#include "raw_client.hpp"
#include "sasl/mechanism.hpp"

using namespace mh;
using namespace mh::test;

namespace {

fake_fixture& fx() {
  static fake_fixture f;
  return f;
}

const std::string alice = "alice@contoso.onmicrosoft.com";

std::string payload(const std::string& user, const std::string& token) {
  return base64_encode(sasl::xoauth2_payload(user, token));
}

}  // namespace

TEST(FakeImapDialogue, NotAuthenticatedState) {
  raw_client c(fx().servers->imap_port(), fx().pki.ca_file, true);
  EXPECT_TRUE(c.line().starts_with("* OK The Microsoft Exchange IMAP4 service is ready. ["));
  c.send("a1 NOOP");
  EXPECT_EQ(c.line(), "a1 OK NOOP completed.");
  c.send("a2 SELECT INBOX");
  EXPECT_EQ(c.line(), "a2 BAD Command Error. 10");
  c.send("a3 LOGIN alice secret");
  EXPECT_EQ(c.line(), "a3 NO LOGIN failed.");
  c.send("notag");
  EXPECT_EQ(c.line(), "* BAD Command Error. 10");
  c.send("a4 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(c.line(), "a4 NO AUTHENTICATE failed.");
  c.send("a5 AUTHENTICATE XOAUTH2");
  EXPECT_EQ(c.line(), "+ ");
  c.send("*");
  EXPECT_EQ(c.line(), "a5 BAD AUTHENTICATE aborted.");
  c.send("a6 LOGOUT");
  EXPECT_EQ(c.line(), "* BYE Microsoft Exchange Server IMAP4 server signing off.");
  EXPECT_EQ(c.line(), "a6 OK LOGOUT completed.");
}

TEST(FakeImapDialogue, MailboxCommandsAndLiterals) {
  raw_client c(fx().servers->imap_port(), fx().pki.ca_file, true);
  c.line();
  c.send("a1 AUTHENTICATE XOAUTH2 " + payload(alice, fx().app_token("good")));
  EXPECT_EQ(c.line(), "a1 OK AUTHENTICATE completed.");
  c.send("a2 STATUS INBOX (MESSAGES UNSEEN)");
  EXPECT_TRUE(c.line().starts_with("* STATUS INBOX (MESSAGES "));
  EXPECT_EQ(c.line(), "a2 OK STATUS completed.");
  c.send("a3 LSUB \"\" \"*\"");
  EXPECT_EQ(c.line(), "* LSUB (\\HasNoChildren) \"/\" INBOX");
  EXPECT_EQ(c.line(), "a3 OK LSUB completed.");
  c.send("a4 SELECT {5}");
  EXPECT_EQ(c.line(), "+ Ready for additional command text.");
  c.send("INBOX");
  EXPECT_EQ(c.until("a4 "), "a4 OK [READ-WRITE] SELECT completed.");
  c.send("a5 SELECT {5+}");  // LITERAL+: no continuation
  c.send("INBOX");
  EXPECT_EQ(c.until("a5 "), "a5 OK [READ-WRITE] SELECT completed.");
  c.send("a6 STORE 1 +FLAGS (\\Flagged)");
  EXPECT_EQ(c.line(), "* 1 FETCH (FLAGS (\\Flagged))");
  EXPECT_EQ(c.line(), "a6 OK STORE completed.");
  c.send("a7 SEARCH FLAGGED");
  EXPECT_EQ(c.line(), "* SEARCH 1");
  c.line();
  c.send("a8 FETCH 1 (NONSENSE)");
  EXPECT_EQ(c.line(), "a8 BAD Command Argument Error. 11");
  c.send("a9 FETCH x:y FLAGS");
  EXPECT_EQ(c.line(), "a9 BAD Command Argument Error. 11");
  c.send("b1 IDLE");
  EXPECT_EQ(c.line(), "+ IDLE accepted, awaiting DONE command.");
  c.send("DONE");
  EXPECT_EQ(c.line(), "b1 OK IDLE completed.");
  c.send("b2 UID FETCH 1:* (UID FLAGS)");
  std::string seen;
  EXPECT_EQ(c.until("b2 ", &seen), "b2 OK UID FETCH completed.");
  EXPECT_NE(seen.find("UID 1 FLAGS (\\Flagged)"), std::string::npos) << seen;
}

TEST(FakeImapDialogue, NotConnectedSessionEndsAfterTheSecondMailboxCommand) {
  raw_client c(fx().servers->imap_port(), fx().pki.ca_file, true);
  c.line();
  c.send("a1 AUTHENTICATE XOAUTH2 " +
         payload("no-fullaccess@contoso.onmicrosoft.com", fx().app_token("good")));
  EXPECT_EQ(c.line(), "a1 OK AUTHENTICATE completed.");
  c.send("a2 CAPABILITY");
  EXPECT_TRUE(c.line().starts_with("* CAPABILITY IMAP4 IMAP4rev1"));
  EXPECT_EQ(c.line(), "a2 OK CAPABILITY completed.");
  c.send("a3 NAMESPACE");
  EXPECT_EQ(c.line(), "a3 BAD User is authenticated but not connected.");
  c.send("a4 LIST \"\" \"INBOX\"");
  EXPECT_EQ(c.line(), "a4 BAD User is authenticated but not connected.");
  EXPECT_EQ(c.line(), "* BYE Connection closed. 14");
  EXPECT_TRUE(c.line().starts_with("<error"));
}

TEST(FakePop3Dialogue, StatesAndCommands) {
  raw_client c(fx().servers->pop3_port(), fx().pki.ca_file, true);
  c.line();
  c.send("STAT");
  EXPECT_EQ(c.line(), "-ERR Command is not valid in this state.");
  c.send("USER alice");
  EXPECT_EQ(c.line(), "+OK");
  c.send("PASS secret");
  EXPECT_EQ(c.line(), "-ERR Logon failure: unknown user name or bad password.");
  c.send("AUTH XOAUTH2");
  EXPECT_EQ(c.line(), "+ ");
  c.send(payload(alice, fx().app_token("good")));
  EXPECT_EQ(c.line(), "+OK User successfully authenticated.");
  c.send("UIDL 1");
  EXPECT_TRUE(c.line().starts_with("+OK 1 "));
  c.send("TOP 1 0");
  std::string seen;
  EXPECT_EQ(c.until(".", &seen), ".");
  EXPECT_NE(seen.find("Subject: "), std::string::npos);
  c.send("DELE 1");
  EXPECT_EQ(c.line(), "+OK");
  c.send("RETR 1");
  EXPECT_EQ(c.line(), "-ERR The specified message is out of range.");
  c.send("RSET");
  EXPECT_EQ(c.line(), "+OK");
  c.send("RETR 1");
  EXPECT_EQ(c.line(), "+OK");
  c.until(".");
  c.send("QUIT");
  EXPECT_EQ(c.line(), "+OK Microsoft Exchange Server POP3 server signing off.");
}

TEST(FakeSmtpDialogue, OrderAndUnknownCommands) {
  raw_client c(fx().servers->smtp_port(), fx().pki.ca_file, false);
  EXPECT_TRUE(c.line().starts_with("220 "));
  c.send("MAIL FROM:<a@b>");
  EXPECT_TRUE(c.line().starts_with("503 5.5.2 Send hello first"));
  c.send("EHLO client");
  EXPECT_EQ(c.until("250 "), "250 SMTPUTF8");
  c.send("AUTH XOAUTH2 " + payload(alice, fx().app_token("good")));
  EXPECT_TRUE(c.line().starts_with("504 5.7.4 Unrecognized authentication type"));
  c.send("MAIL FROM:<" + alice + ">");
  EXPECT_EQ(c.line(), "530 5.7.57 Client not authenticated to send mail.");
  c.send("GARBAGE");
  EXPECT_TRUE(c.line().starts_with("500 5.3.3 Unrecognized command 'GARBAGE'"));
  c.send("STARTTLS");
  EXPECT_EQ(c.line(), "220 2.0.0 SMTP server ready");
  c.starttls();
  c.send("AUTH XOAUTH2 " + payload(alice, fx().app_token("good")));
  EXPECT_TRUE(c.line().starts_with("503 5.5.2 Send hello first"));
  c.send("EHLO client");
  std::string seen;
  c.until("250 ", &seen);
  EXPECT_NE(seen.find("250-AUTH LOGIN XOAUTH2"), std::string::npos);
  c.send("AUTH LOGIN");
  EXPECT_TRUE(c.line().starts_with("535 5.7.139 Authentication unsuccessful, basic authentication is disabled."));
  c.send("RCPT TO:<x@y>");
  EXPECT_EQ(c.line(), "530 5.7.57 Client not authenticated to send mail.");
  c.send("QUIT");
  EXPECT_EQ(c.line(), "221 2.0.0 Service closing transmission channel");
}

TEST(FakeImapDialogue, TokenExpiringDuringTheSessionInvalidatesIt) {
  raw_client c(fx().servers->imap_port(), fx().pki.ca_file, true);
  c.line();
  c.send("a1 AUTHENTICATE XOAUTH2 " + payload(alice, fx().app_token("good", "https://outlook.office365.com", 600)));
  EXPECT_EQ(c.line(), "a1 OK AUTHENTICATE completed.");
  c.send("a2 NOOP");
  EXPECT_EQ(c.line(), "a2 OK NOOP completed.");
  fx().clock_offset = 601;  // the server's clock passes the token's exp
  c.send("a3 NOOP");
  EXPECT_EQ(c.line(), "* BYE Session invalidated - AccessTokenExpired");
  EXPECT_TRUE(c.line().starts_with("<error"));
  fx().clock_offset = 0;
}
