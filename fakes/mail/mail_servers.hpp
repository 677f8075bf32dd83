// The fake's three mail listeners (IMAP implicit TLS, POP3 implicit TLS, SMTP submission
// with STARTTLS) on the caller's io_context: the one server skeleton (accept, per-session
// coroutine, session cap) shared by the three protocol sessions.
//
// Session cap (mail_config::max_sessions, IMAP, POP3 and SMTP together), as Dovecot's login
// processes do it: a connection that arrives at the cap drops the OLDEST session that has not
// authenticated yet (event "session.evicted"; that client sees its connection end without a
// word) and takes its place. Only when every session has authenticated is the new connection
// refused with its protocol's answer (exchange_text.hpp: IMAP `* BYE Too many connections,
// try again later.` and POP3 `-ERR Too many connections, try again later.` after the TLS
// handshake, SMTP `421 4.3.2 The maximum number of concurrent server connections has
// exceeded a limit, closing transmission channel`) and closed (event "session.refused"). At
// most max_refusing refusals are under way at once (each bounded by login_timeout); beyond
// that a refused connection is closed at once without an answer. Sessions tell the server
// when they authenticate (session_io::set_authenticated). The timeouts that bound each
// session are in session_io.hpp.
#pragma once

#include <atomic>
#include <memory>

#include "mail/mail_context.hpp"

namespace mh::fake {

class mail_servers {
 public:
  static constexpr std::size_t max_refusing = 16;

  // Binds all three listeners (throws std::system_error naming the port if one fails).
  mail_servers(net::io_context& io, mail_context& ctx);
  ~mail_servers();
  std::uint16_t imap_port() const { return imap_.local_endpoint().port(); }
  std::uint16_t pop3_port() const { return pop3_.local_endpoint().port(); }
  std::uint16_t smtp_port() const { return smtp_.local_endpoint().port(); }
  // Thread-safe counters: sessions running (evicted ones until their coroutine ends),
  // sessions evicted at the cap, connections refused at the cap.
  std::size_t active_sessions() const;
  std::uint64_t evicted_sessions() const;
  std::uint64_t refused_sessions() const;
  void stop();

  class admission;  // the cap's bookkeeping, shared with sessions that outlive the servers

 private:
  net::awaitable<void> accept_loop(tcp::acceptor& a, std::string protocol);
  static net::awaitable<void> session(tcp::socket s, std::string protocol, mail_context* ctx,
                                      std::shared_ptr<admission> adm);
  static net::awaitable<void> refuse(tcp::socket s, std::string protocol, mail_context* ctx);
  net::io_context& io_;
  mail_context& ctx_;
  tcp::acceptor imap_, pop3_, smtp_;
  std::shared_ptr<admission> adm_;
};

}  // namespace mh::fake
