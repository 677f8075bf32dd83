// Runs one session of a fake mail server (fakes/mail: IMAP, POP3 or SMTP) on fuzz input, for
// fuzz_imap_server, fuzz_pop3_server and fuzz_smtp_server: a loopback TCP pair on a
// process-wide io_context, the server side handed to the session as the fake's accept loop
// does (mail_servers.cpp), with TLS skipped through mail_context::plaintext_for_fuzzing (the
// implicit-TLS handshake of IMAP/POP3 and SMTP's STARTTLS succeed without encryption). The
// client side writes the whole input, half-closes, and reads every reply until the server
// closes; the io_context runs until both sides are done, so a session that does not end on
// end-of-input hangs the target (libFuzzer's -timeout reports it).
// Per input: a fresh copy of the fuzz tenant, mail store, event log and fault set, the fixed
// clock. Placeholders in the input become SASL payloads that authenticate, since tokens
// cannot be part of committed seeds:
//   @APP@    base64 XOAUTH2 for alice@contoso.onmicrosoft.com with an app-only token of "good"
//   @SHARED@ the same for shared@contoso.onmicrosoft.com
//   @USER@   base64 XOAUTH2 for alice with alice's delegated token
//   @TOKEN@  the app-only token itself
#pragma once

#include <cstdio>
#include <cstdlib>

#include <boost/asio/write.hpp>
#include <boost/asio/detached.hpp>

#include "fake_server_env.hpp"
#include "mail/mail_context.hpp"
#include "mail/sessions.hpp"

namespace mh::fuzz {

struct mail_run {
  std::string replies;    // every byte the server sent
  bool clean_eof = false; // the server closed normally (not reset) and the read saw its end
  std::string events;     // the event log as JSON text
};

inline net::awaitable<void> serve_mail(tcp::socket s, fake::mail_context* ctx, std::string protocol) {
  fake::session_io io(std::move(s), *ctx, protocol);
  if (protocol == "imap") co_await fake::run_imap_session(io);
  else if (protocol == "pop3") co_await fake::run_pop3_session(io);
  else co_await fake::run_smtp_session(io);
}

inline net::awaitable<void> feed_mail(tcp::socket* c, std::string input) {
  auto [ec, n] = co_await net::async_write(*c, net::buffer(input), net::as_tuple(net::use_awaitable));
  (void)ec;
  (void)n;
  boost::system::error_code ignored;
  c->shutdown(tcp::socket::shutdown_send, ignored);
}

inline net::awaitable<void> drain_mail(tcp::socket* c, mail_run* out) {
  char buf[8192];
  for (;;) {
    auto [ec, n] = co_await c->async_read_some(net::buffer(buf), net::as_tuple(net::use_awaitable));
    out->replies.append(buf, n);
    if (ec) {
      out->clean_eof = ec == net::error::eof;
      co_return;
    }
  }
}

struct mail_tokens {
  std::string app, user, app_sasl, shared_sasl, user_sasl;
  static const mail_tokens& get() {
    static const mail_tokens m = [] {
      mail_tokens t;
      t.app = mail_token();
      t.user = mail_token("alice@contoso.onmicrosoft.com");
      t.app_sasl = xoauth2("alice@contoso.onmicrosoft.com", t.app);
      t.shared_sasl = xoauth2("shared@contoso.onmicrosoft.com", t.app);
      t.user_sasl = xoauth2("alice@contoso.onmicrosoft.com", t.user);
      return t;
    }();
    return m;
  }
};

inline mail_run run_mail_session(const std::string& protocol, const std::uint8_t* data, std::size_t size) {
  static net::io_context io;
  static tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const mail_tokens& tok = mail_tokens::get();
  std::string input(reinterpret_cast<const char*>(data), size);
  replace_all(input, "@APP@", tok.app_sasl);
  replace_all(input, "@SHARED@", tok.shared_sasl);
  replace_all(input, "@USER@", tok.user_sasl);
  replace_all(input, "@TOKEN@", tok.app);

  fake::tenant t = fuzz_tenant();
  fake::mail_store store(t);
  fake::event_log events;
  fake::fault_set faults;
  fake::mail_config cfg;
  fake::mail_context ctx{t, store, events, faults, signing_keys().public_key(), cfg, nullptr,
                         [] { return fixed_now; }, {}};
  ctx.plaintext_for_fuzzing = true;

  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  mail_run out;
  net::co_spawn(io, serve_mail(std::move(server), &ctx, protocol), net::detached);
  net::co_spawn(io, feed_mail(&client, std::move(input)), net::detached);
  net::co_spawn(io, drain_mail(&client, &out), net::detached);
  io.restart();
  io.run();
  out.events = events.to_json().dump(-1, 0x20, false, nlohmann::json::error_handler_t::replace);
  if (std::getenv("MH_FUZZ_TRACE")) std::fprintf(stderr, "%s\n", out.replies.c_str());
  // Nothing of a token but its fingerprint is ever logged.
  for (const std::string* secret : {&tok.app, &tok.user})
    if (out.events.find(secret->substr(secret->size() - 40)) != std::string::npos) __builtin_trap();
  return out;
}

// The reply lines (without CRLF); traps on a final line without CRLF after a clean close
// and on a bare CR or LF inside a line.
inline std::vector<std::string_view> reply_lines(const mail_run& r) {
  std::vector<std::string_view> lines;
  std::string_view s = r.replies;
  while (!s.empty()) {
    auto eol = s.find("\r\n");
    if (eol == std::string_view::npos) {
      if (r.clean_eof) __builtin_trap();
      break;
    }
    std::string_view line = s.substr(0, eol);
    if (line.find_first_of("\r\n") != std::string_view::npos) __builtin_trap();
    lines.push_back(line);
    s.remove_prefix(eol + 2);
  }
  return lines;
}

}  // namespace mh::fuzz
