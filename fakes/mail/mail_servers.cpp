#include "mail/mail_servers.hpp"

#include <boost/asio/detached.hpp>

#include <list>

#include "mail/exchange_text.hpp"
#include "mail/sessions.hpp"

namespace mh::fake {

// The cap's bookkeeping. Counters are atomic (read from other threads); the rest belongs to
// the io_context's thread.
class mail_servers::admission {
 public:
  class seat;
  std::atomic<std::size_t> running{0};
  std::atomic<std::uint64_t> evicted{0}, refused{0};
  std::size_t held = 0;      // places taken under the cap
  std::size_t refusing = 0;  // refusals under way
  std::list<seat*> waiting;  // sessions not authenticated yet, oldest first

  // Frees a place by evicting the oldest unauthenticated session; false if there is none.
  bool evict_oldest(event_log& events, const std::string& newcomer);
};

// One admitted session's place under the cap, in the session's coroutine frame. It takes
// over the place accept_loop counted and waits in the queue until the session authenticates.
class mail_servers::admission::seat {
 public:
  seat(std::shared_ptr<admission> a, session_io& io)
      : a_(std::move(a)), io_(io), pos_(a_->waiting.insert(a_->waiting.end(), this)) {}
  ~seat() {
    leave_queue();
    release();
  }
  seat(const seat&) = delete;
  seat& operator=(const seat&) = delete;

  void authenticated() { leave_queue(); }
  void evict() {
    leave_queue();
    release();
    io_.evict();
  }
  session_io& io() { return io_; }

 private:
  void leave_queue() {
    if (queued_) a_->waiting.erase(pos_);
    queued_ = false;
  }
  void release() {
    if (holds_) --a_->held;
    holds_ = false;
  }
  std::shared_ptr<admission> a_;
  session_io& io_;
  std::list<seat*>::iterator pos_;
  bool queued_ = true, holds_ = true;
};

bool mail_servers::admission::evict_oldest(event_log& events, const std::string& newcomer) {
  if (waiting.empty()) return false;
  seat* oldest = waiting.front();
  events.add("session.evicted", {{"protocol", std::string(oldest->io().protocol())},
                                 {"peer", oldest->io().peer()},
                                 {"reason", "session cap: oldest unauthenticated session"},
                                 {"for", newcomer}});
  oldest->evict();
  ++evicted;
  return true;
}

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
      smtp_(listen_on(io, ctx.cfg.listen, ctx.cfg.smtp_port, "SMTP")),
      adm_(std::make_shared<admission>()) {
  net::co_spawn(io_, accept_loop(imap_, "imap"), net::detached);
  net::co_spawn(io_, accept_loop(pop3_, "pop3"), net::detached);
  net::co_spawn(io_, accept_loop(smtp_, "smtp"), net::detached);
}

mail_servers::~mail_servers() { stop(); }

std::size_t mail_servers::active_sessions() const { return adm_->running.load(); }
std::uint64_t mail_servers::evicted_sessions() const { return adm_->evicted.load(); }
std::uint64_t mail_servers::refused_sessions() const { return adm_->refused.load(); }

void mail_servers::stop() {
  boost::system::error_code ec;
  imap_.close(ec);
  pop3_.close(ec);
  smtp_.close(ec);
}

net::awaitable<void> mail_servers::accept_loop(tcp::acceptor& a, std::string protocol) {
  auto adm = adm_;
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
    boost::system::error_code ignored;
    if (adm->held >= ctx_.cfg.max_sessions && !adm->evict_oldest(ctx_.events, protocol)) {
      ++adm->refused;
      ctx_.events.add("session.refused",
                      {{"protocol", protocol}, {"reason", "session cap: every session authenticated"}});
      if (adm->refusing >= max_refusing) {
        sock.close(ignored);
        continue;
      }
      ++adm->refusing;
      net::co_spawn(io_, refuse(std::move(sock), protocol, &ctx_),
                    [adm](std::exception_ptr) { --adm->refusing; });
      continue;
    }
    sock.set_option(tcp::no_delay(true), ignored);
    ++adm->held;
    ++adm->running;
    net::co_spawn(io_, session(std::move(sock), protocol, &ctx_, adm),
                  [adm](std::exception_ptr) { --adm->running; });
  }
}

// Coroutine functions, not capturing lambdas: the frame owns its parameters. Neither touches
// the mail_servers object, which may be gone before a session ends.
net::awaitable<void> mail_servers::session(tcp::socket s, std::string protocol, mail_context* ctx,
                                           std::shared_ptr<admission> adm) {
  session_io io(std::move(s), *ctx, protocol);
  admission::seat place(std::move(adm), io);
  io.on_authenticated([&place] { place.authenticated(); });
  if (protocol == "imap") co_await run_imap_session(io);
  else if (protocol == "pop3") co_await run_pop3_session(io);
  else co_await run_smtp_session(io);
}

net::awaitable<void> mail_servers::refuse(tcp::socket s, std::string protocol, mail_context* ctx) {
  session_io io(std::move(s), *ctx, protocol);
  if (protocol != "smtp") {
    if (auto ok = co_await io.tls_handshake(); !ok) co_return;
  }
  co_await io.send(protocol == "imap"   ? text::imap_bye_busy
                   : protocol == "pop3" ? text::pop3_busy
                                        : text::smtp_busy);
  co_await io.close();
}

}  // namespace mh::fake
