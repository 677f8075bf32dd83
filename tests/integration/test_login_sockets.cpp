// `login()` end to end over loopback sockets against scripted servers: real TLS
// handshakes, certificate checks, STARTTLS, connection failures and deadlines.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "sasl/mechanism.hpp"
#include "exchange_wire.hpp"
#include "script_server.hpp"
#include "net/tls.hpp"
#include "session/login.hpp"

using namespace mh;
using namespace mh::test;

namespace {

test_pki& pki() {
  static test_pki p;
  return p;
}

login_options opts(protocol p, std::uint16_t port) {
  login_options o;
  o.proto = p;
  o.host = "localhost";
  o.port = port;
  o.tls = default_tls(p);
  o.ca_file = pki().ca_file;
  o.timeout = std::chrono::seconds(10);
  o.client.creds.user = "alice@contoso.com";
  o.client.creds.token = secret_string("integration-token-123");
  return o;
}

std::vector<step> exchange_imap() {
  return {send(exo::imap_greeting),
          expect("A001 CAPABILITY"),
          send(exo::imap_caps_pre + "A001 OK CAPABILITY completed.\r\n"),
          expect("A002 AUTHENTICATE XOAUTH2 "),
          send("A002 OK AUTHENTICATE completed.\r\n"),
          expect("A003 CAPABILITY"),
          send(exo::imap_caps_post + "A003 OK CAPABILITY completed.\r\n"),
          expect("A004 EXAMINE INBOX"),
          send(exo::imap_examine_ok + "A004 OK [READ-ONLY] EXAMINE completed.\r\n"),
          expect("A005 LOGOUT"),
          send(exo::imap_bye + "A005 OK LOGOUT completed.\r\n")};
}

bool has_phase(const login_result& r, phase p) {
  for (const auto& s : r.phases)
    if (s.ph == p) return true;
  return false;
}

net::awaitable<void> login_into(login_options o, std::shared_ptr<ssl::context> ctx, login_result* out) {
  *out = co_await login(std::move(o), std::move(ctx));
}

// A login through a client context shared across logins (as run and bench share one).
login_result login_shared(const login_options& o, std::shared_ptr<ssl::context> ctx) {
  net::io_context io;
  login_result out;
  net::co_spawn(io, login_into(o, std::move(ctx), &out), net::detached);
  io.run();
  return out;
}

}  // namespace

TEST(LoginSockets, ImapImplicitTls) {
  script_server srv(exchange_imap(), pki().good, true);
  auto r = login_blocking(opts(protocol::imap, srv.port()));
  EXPECT_TRUE(r.pass) << r.outcome.message;
  EXPECT_TRUE(srv.problems().empty());
  EXPECT_TRUE(r.tls.active);
  EXPECT_TRUE(r.tls.verified);
  EXPECT_TRUE(has_phase(r, phase::tls));
  EXPECT_TRUE(has_phase(r, phase::probe));
}

TEST(LoginSockets, SmtpStartTlsWithRealHandshake) {
  script_server srv({send(exo::smtp_greeting), expect("EHLO "), send(exo::smtp_ehlo_pre),
                     expect("STARTTLS"), send("220 2.0.0 SMTP server ready\r\n"), starttls(),
                     expect("EHLO "), send(exo::smtp_ehlo_post), expect("AUTH XOAUTH2 "),
                     send("235 2.7.0 Authentication successful\r\n"), expect("MAIL FROM:"),
                     send("250 2.1.0 Sender OK\r\n"), expect("RSET"), send("250 2.0.0 OK\r\n"),
                     expect("QUIT"), send("221 2.0.0 Bye\r\n")},
                    pki().good, false);
  auto r = login_blocking(opts(protocol::smtp, srv.port()));
  EXPECT_TRUE(r.pass) << r.outcome.message;
  EXPECT_TRUE(srv.problems().empty());
  EXPECT_TRUE(has_phase(r, phase::tls_upgrade));
  EXPECT_TRUE(r.tls.verified);
}

TEST(LoginSockets, Pop3ImplicitTls) {
  script_server srv({send(exo::pop3_greeting), expect("CAPA"), send(exo::pop3_capa),
                     expect("AUTH XOAUTH2"), send("+ \r\n"), expect(""),
                     send("+OK User successfully authenticated.\r\n"), expect("STAT"),
                     send("+OK 0 0\r\n"), expect("QUIT"), send("+OK bye\r\n")},
                    pki().good, true);
  auto r = login_blocking(opts(protocol::pop3, srv.port()));
  EXPECT_TRUE(r.pass) << r.outcome.message;
  EXPECT_TRUE(srv.problems().empty());
}

TEST(LoginSockets, UntrustedCertificate) {
  script_server srv(exchange_imap(), pki().untrusted, true);
  auto r = login_blocking(opts(protocol::imap, srv.port()));
  EXPECT_FALSE(r.pass);
  EXPECT_EQ(r.outcome.error, errc::cert_untrusted);
  EXPECT_EQ(r.outcome.failed_phase, phase::tls);
  EXPECT_NE(r.detail.find("certificate verify failed"), std::string::npos) << r.detail;
}

TEST(LoginSockets, HostNameMismatch) {
  script_server srv(exchange_imap(), pki().wrong_host, true);
  auto r = login_blocking(opts(protocol::imap, srv.port()));
  EXPECT_EQ(r.outcome.error, errc::cert_hostname_mismatch);
}

// A shared context remembers a verified certificate, which must not make it accept another
// one: an untrusted certificate for the same host still fails after the good one passed.
TEST(LoginSockets, RememberedVerificationNeverAcceptsAnotherCertificate) {
  auto ctx = make_client_context({pki().ca_file, false});
  for (int i = 0; i < 2; ++i) {
    script_server srv(exchange_imap(), pki().good, true);
    auto r = login_shared(opts(protocol::imap, srv.port()), ctx);
    EXPECT_TRUE(r.pass) << i << ": " << r.outcome.message;
    EXPECT_TRUE(r.tls.verified) << i;
  }
  script_server bad(exchange_imap(), pki().untrusted, true);
  auto r = login_shared(opts(protocol::imap, bad.port()), ctx);
  EXPECT_EQ(r.outcome.error, errc::cert_untrusted);
  script_server other(exchange_imap(), pki().wrong_host, true);
  r = login_shared(opts(protocol::imap, other.port()), ctx);
  EXPECT_EQ(r.outcome.error, errc::cert_hostname_mismatch);
}

// --tls-resumption: the second handshake through the context resumes the first's session.
TEST(LoginSockets, ClientResumptionOffersTheStoredSession) {
  auto ctx = make_client_context({pki().ca_file, false});
  enable_client_resumption(*ctx);
  login_result first, second;
  {
    script_server srv(exchange_imap(), pki().good, true);
    first = login_shared(opts(protocol::imap, srv.port()), ctx);
  }
  {
    script_server srv(exchange_imap(), pki().good, true);
    second = login_shared(opts(protocol::imap, srv.port()), ctx);
  }
  EXPECT_TRUE(first.pass && second.pass) << first.outcome.message << second.outcome.message;
  EXPECT_FALSE(first.tls.resumed);
  EXPECT_TRUE(second.tls.resumed);
}

TEST(LoginSockets, InsecureIsExplicitAndRecorded) {
  script_server srv(exchange_imap(), pki().untrusted, true);
  auto o = opts(protocol::imap, srv.port());
  o.insecure = true;
  auto r = login_blocking(o);
  EXPECT_TRUE(r.pass) << r.outcome.message;
  EXPECT_TRUE(r.tls.insecure);
  EXPECT_FALSE(r.tls.verified);
}

TEST(LoginSockets, ConnectionRefused) {
  std::uint16_t port;
  {
    net::io_context io;
    tcp::acceptor a(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }  // closed again: nothing listens there now
  auto o = opts(protocol::imap, port);
  o.host = "127.0.0.1";
  auto r = login_blocking(o);
  EXPECT_EQ(r.outcome.error, errc::connect_refused);
  EXPECT_EQ(r.outcome.failed_phase, phase::connect);
}

TEST(LoginSockets, GreetingStallTimesOutInGreeting) {
  script_server srv({stall()}, pki().good, true);
  auto o = opts(protocol::imap, srv.port());
  o.timeout = std::chrono::milliseconds(300);
  auto r = login_blocking(o);
  EXPECT_EQ(r.outcome.error, errc::timed_out);
  EXPECT_EQ(r.outcome.failed_phase, phase::greeting);
}

TEST(LoginSockets, PlaintextInsteadOfTlsFailsTheHandshake) {
  script_server srv({send("* OK plaintext IMAP, not TLS\r\n"), hang_up()}, nullptr, false);
  auto r = login_blocking(opts(protocol::imap, srv.port()));
  EXPECT_EQ(classify(r.outcome.error), error_class::tls);
  EXPECT_EQ(r.outcome.failed_phase, phase::tls);
}

TEST(LoginSockets, DropMidReplyIsConnectionLost) {
  script_server srv({send(exo::imap_greeting), expect("A001 CAPABILITY"),
                     send("* CAPABILITY IMAP4rev1 AUTH="), hang_up()},
                    pki().good, true);
  auto r = login_blocking(opts(protocol::imap, srv.port()));
  EXPECT_EQ(r.outcome.error, errc::connection_lost);
  EXPECT_EQ(r.outcome.failed_phase, phase::capability);
}

TEST(LoginSockets, StartTlsHandshakeFailureIsNamed) {
  script_server srv({send(exo::smtp_greeting), expect("EHLO "), send(exo::smtp_ehlo_pre),
                     expect("STARTTLS"), send("220 2.0.0 SMTP server ready\r\n"), starttls()},
                    pki().untrusted, false);
  auto r = login_blocking(opts(protocol::smtp, srv.port()));
  EXPECT_EQ(r.outcome.error, errc::cert_untrusted);
  EXPECT_EQ(r.outcome.failed_phase, phase::tls_upgrade);
}

TEST(LoginSockets, ServerEchoingTheTokenNeverReachesTheResult) {
  // A hostile server repeats the credentials it received in every reply it can.
  auto o = opts(protocol::smtp, 0);
  std::string b64 = base64_encode(sasl::xoauth2_payload("alice@contoso.com", "integration-token-123"));
  script_server srv({send(exo::smtp_greeting), expect("EHLO "), send(exo::smtp_ehlo_pre),
                     expect("STARTTLS"), send("220 2.0.0 SMTP server ready\r\n"), starttls(),
                     expect("EHLO "), send(exo::smtp_ehlo_post), expect("AUTH XOAUTH2 "),
                     send("535 5.7.3 you sent " + b64 + " integration-token-123\r\n"),
                     expect("QUIT"), send("221 2.0.0 Bye\r\n")},
                    pki().good, false);
  o.port = srv.port();
  auto r = login_blocking(o);
  EXPECT_EQ(r.outcome.error, errc::login_denied);
  std::string all = r.outcome.reply + r.outcome.message + r.detail + r.facts.sasl_server_error;
  for (const auto& l : r.transcript) all += l.text;
  EXPECT_EQ(all.find("integration-token-123"), std::string::npos) << all;
  EXPECT_EQ(all.find(b64), std::string::npos);
  EXPECT_NE(r.outcome.reply.find("<XOAUTH2 payload sha256:"), std::string::npos) << r.outcome.reply;
}
