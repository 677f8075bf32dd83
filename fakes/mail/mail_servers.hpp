// The fake's three mail listeners (IMAP implicit TLS, POP3 implicit TLS, SMTP submission
// with STARTTLS) on the caller's io_context: the one server skeleton (accept, per-session
// coroutine, session cap) shared by the three protocol sessions.
#pragma once

#include <atomic>
#include <memory>

#include "mail/mail_context.hpp"

namespace mh::fake {

class mail_servers {
 public:
  // Binds all three listeners (throws std::system_error naming the port if one fails).
  mail_servers(net::io_context& io, mail_context& ctx);
  ~mail_servers();
  std::uint16_t imap_port() const { return imap_.local_endpoint().port(); }
  std::uint16_t pop3_port() const { return pop3_.local_endpoint().port(); }
  std::uint16_t smtp_port() const { return smtp_.local_endpoint().port(); }
  std::size_t active_sessions() const { return active_->load(); }
  void stop();

 private:
  net::awaitable<void> accept_loop(tcp::acceptor& a, std::string protocol);
  net::awaitable<void> session(tcp::socket s, std::string protocol);
  net::io_context& io_;
  mail_context& ctx_;
  tcp::acceptor imap_, pop3_, smtp_;
  std::shared_ptr<std::atomic<std::size_t>> active_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace mh::fake
