#include "mail/mail_servers.hpp"

#include <boost/asio/detached.hpp>

#include "mail/sessions.hpp"

namespace mh::fake {
namespace {

tcp::acceptor listen_on(net::io_context& io, const std::string& address, std::uint16_t port,
                   const char* what) {
  tcp::endpoint ep(net::ip::make_address(address), port);
  tcp::acceptor a(io);
  boost::system::error_code ec;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::system_error(ec, std::string("cannot listen for ") + what + " on " + address + ":" +
                                    std::to_string(port));
  return a;
}

}  // namespace

mail_servers::mail_servers(net::io_context& io, mail_context& ctx)
    : io_(io),
      ctx_(ctx),
      imap_(listen_on(io, ctx.cfg.listen, ctx.cfg.imap_port, "IMAP")),
      pop3_(listen_on(io, ctx.cfg.listen, ctx.cfg.pop3_port, "POP3")),
      smtp_(listen_on(io, ctx.cfg.listen, ctx.cfg.smtp_port, "SMTP")) {
  net::co_spawn(io_, accept_loop(imap_, "imap"), net::detached);
  net::co_spawn(io_, accept_loop(pop3_, "pop3"), net::detached);
  net::co_spawn(io_, accept_loop(smtp_, "smtp"), net::detached);
}

mail_servers::~mail_servers() { stop(); }

void mail_servers::stop() {
  boost::system::error_code ec;
  imap_.close(ec);
  pop3_.close(ec);
  smtp_.close(ec);
}

net::awaitable<void> mail_servers::accept_loop(tcp::acceptor& a, std::string protocol) {
  auto active = active_;
  while (true) {
    auto [ec, sock] = co_await a.async_accept(net::as_tuple(net::use_awaitable));
    if (ec) {
      if (ec == net::error::operation_aborted || !a.is_open()) co_return;
      // e.g. EMFILE: keep serving the sessions we have, and do not spin on the error.
      net::steady_timer pause(io_);
      pause.expires_after(std::chrono::milliseconds(50));
      co_await pause.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    if (*active >= ctx_.cfg.max_sessions) {
      boost::system::error_code ignored;
      sock.close(ignored);
      ctx_.events.add("session.refused", {{"protocol", protocol}, {"reason", "session cap"}});
      continue;
    }
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    ++*active;
    net::co_spawn(io_, session(std::move(sock), protocol),
                  [active](std::exception_ptr) { --*active; });
  }
}

// A coroutine function, not a capturing lambda: the frame owns its parameters.
net::awaitable<void> mail_servers::session(tcp::socket s, std::string protocol) {
  session_io io(std::move(s), ctx_, protocol);
  if (protocol == "imap") co_await run_imap_session(io);
  else if (protocol == "pop3") co_await run_pop3_session(io);
  else co_await run_smtp_session(io);
}

}  // namespace mh::fake
