// POP3 client FSM driven without sockets, against Exchange's own wire strings.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "exchange_wire.hpp"
#include "run_fsm.hpp"
#include "sasl/mechanism.hpp"

using namespace mh;
using namespace mh::test;

namespace {

std::vector<std::string> exchange_ok() { return exo::pop3_login_ok(); }

fsm_run run(std::vector<std::string> segs, login_options o = opts(protocol::pop3),
            run_options ro = {}) {
  auto fsm = make_client(o);
  return run_fsm(*fsm, std::move(segs), ro);
}

std::string payload_b64() {
  return base64_encode(sasl::xoauth2_payload("alice@contoso.com", "tok-123456789"));
}

}  // namespace

TEST(Pop3Client, ExchangeTwoStepLogin) {
  auto r = run(exchange_ok());
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines, (std::vector<std::string>{"CAPA", "AUTH XOAUTH2", payload_b64(),
                                                      "STAT", "QUIT"}));
  EXPECT_EQ(r.facts.sasl_form, "two-step");
}

TEST(Pop3Client, ByteByByte) {
  run_options ro;
  ro.read_size = 1;
  EXPECT_FALSE(run(exchange_ok(), opts(protocol::pop3), ro).outcome.error);
}

TEST(Pop3Client, AuthenticationFailure) {
  auto segs = exchange_ok();
  segs[3] = "-ERR Authentication failure: unknown user name or bad password.\r\n";
  segs.resize(4);
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.reply, "-ERR Authentication failure: unknown user name or bad password.");
}

TEST(Pop3Client, OneLineFormIsExplicitAndExchangeClosesOnIt) {
  auto o = opts(protocol::pop3);
  o.client.form = sasl::form::initial_response;
  auto r = run({exo::pop3_greeting, exo::pop3_capa,
                "-ERR Protocol error. Connection is closed. 10\r\n"},
               o);
  EXPECT_EQ(r.client_lines[1], "AUTH XOAUTH2 " + payload_b64());
  EXPECT_EQ(r.facts.sasl_form, "initial-response");
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  EXPECT_EQ(r.outcome.reply, "-ERR Protocol error. Connection is closed. 10");
}

TEST(Pop3Client, ServerWithoutCapaIsStillTriedWithXoauth2) {
  auto segs = exchange_ok();
  segs[1] = "-ERR unknown command\r\n";
  auto r = run(segs);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.facts.mechanism, "XOAUTH2");
}

TEST(Pop3Client, StatRefusedFailsTheProbeAndStillQuits) {
  auto segs = exchange_ok();
  segs[4] = "-ERR Command is not valid in this state.\r\n";
  auto r = run(segs);
  EXPECT_EQ(r.outcome.error, errc::probe_denied);
  EXPECT_EQ(r.outcome.failed_phase, phase::probe);
  EXPECT_EQ(r.client_lines.back(), "QUIT");
}

TEST(Pop3Client, StlsUpgrade) {
  auto o = opts(protocol::pop3);
  o.tls = tls_mode::starttls;
  auto r = run({"+OK ready\r\n", "+OK\r\nSTLS\r\nUSER\r\n.\r\n", "+OK Begin TLS\r\n",
                "+OK\r\nSASL XOAUTH2 OAUTHBEARER\r\n.\r\n", "+OK\r\n", "+OK 0 0\r\n", "+OK\r\n"},
               o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.handshakes, 1);
  EXPECT_EQ(r.facts.mechanism, "OAUTHBEARER");
  EXPECT_EQ(r.facts.sasl_form, "two-step");
}

TEST(Pop3Client, MalformedReplies) {
  EXPECT_EQ(run({"HELLO\r\n"}).outcome.error, errc::weird_server_reply);
  EXPECT_EQ(run({"-ERR busy\r\n"}).outcome.error, errc::greeting_refused);
  auto segs = exchange_ok();
  segs[3] = "OK fine\r\n";
  EXPECT_EQ(run(segs).outcome.error, errc::weird_server_reply);
}

TEST(Pop3Client, CapaWithoutTerminatorTimesOut) {
  run_options ro;
  ro.stall_when_empty = true;
  auto r = run({exo::pop3_greeting, "+OK\r\nTOP\r\nUIDL\r\n"}, opts(protocol::pop3), ro);
  EXPECT_EQ(r.outcome.error, errc::timed_out);
  EXPECT_EQ(r.outcome.failed_phase, phase::capability);
}

TEST(Pop3Client, FetchStepRetrievesTheFirstMessageDotStuffed) {
  auto segs = exchange_ok();
  segs.insert(segs.end() - 1, "+OK 2 octets\r\nSubject: hi\r\n\r\n..not the end\r\nbody\r\n.\r\n");
  auto o = opts(protocol::pop3);
  o.client.fetch = true;
  for (std::size_t read : {std::size_t{1}, std::size_t{4096}}) {
    run_options ro;
    ro.read_size = read;
    auto r = run(segs, o, ro);
    EXPECT_FALSE(r.outcome.error) << r.outcome.message;
    EXPECT_EQ(r.client_lines, (std::vector<std::string>{"CAPA", "AUTH XOAUTH2", payload_b64(), "STAT", "RETR 1",
                                                        "QUIT"}));
  }
}

TEST(Pop3Client, FetchStepSkippedOnAnEmptyMaildropAndRefusalReported) {
  auto o = opts(protocol::pop3);
  o.client.fetch = true;
  auto segs = exchange_ok();
  segs[4] = "+OK 0 0\r\n";
  auto r = run(segs, o);
  EXPECT_FALSE(r.outcome.error) << r.outcome.message;
  EXPECT_EQ(r.client_lines.back(), "QUIT");
  segs = exchange_ok();
  segs.insert(segs.end() - 1, "-ERR Message 1 is locked\r\n");
  r = run(segs, o);
  EXPECT_EQ(r.outcome.error, errc::command_rejected);
  EXPECT_EQ(r.outcome.failed_phase, phase::fetch);
  EXPECT_EQ(r.outcome.reply, "-ERR Message 1 is locked");
}
