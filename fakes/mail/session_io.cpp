#include "mail/session_io.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <utility>

#include "mail/exchange_text.hpp"

namespace mh::fake {

session_io::session_io(tcp::socket s, mail_context& ctx, std::string_view protocol)
    : ctx_(ctx),
      protocol_(protocol),
      peer_([&] {
        boost::system::error_code ec;
        auto ep = s.remote_endpoint(ec);
        return ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
      }()),
      t_(std::move(s), ctx.tls, tcp_transport::role::server),
      ch_(t_, {ctx.cfg.max_line, false}),
      dog_(t_.socket().get_executor()),
      login_deadline_(std::chrono::steady_clock::now() + ctx.cfg.login_timeout) {}

std::chrono::milliseconds session_io::bound(std::chrono::milliseconds timeout) const {
  if (authenticated_) return timeout;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(login_deadline_ -
                                                                    std::chrono::steady_clock::now());
  return std::min(timeout, left);
}

bool session_io::arm(std::chrono::milliseconds limit) {
  if (limit <= std::chrono::milliseconds::zero()) {
    cut();
    return false;
  }
  t_.set_timeout(limit);
  dog_.arm(limit, [this] { cut(); });
  return true;
}

bool session_io::disarm() { return dog_.disarm(); }

void session_io::cut() {
  closed_ = true;
  boost::system::error_code ignored;
  t_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  t_.socket().cancel(ignored);
}

void session_io::evict() { cut(); }

void session_io::set_authenticated() {
  if (authenticated_) return;
  authenticated_ = true;
  if (auto f = std::exchange(on_authenticated_, nullptr)) f();
}

net::awaitable<bool> session_io::tls_handshake() {
  if (ctx_.plaintext_for_fuzzing) co_return true;  // fuzz targets only (mail_context.hpp)
  if (!arm(bound(ctx_.cfg.login_timeout))) co_return false;
  auto ec = co_await ch_.start_tls();
  disarm();
  co_return !ec;
}

net::awaitable<line_result> session_io::read_line(std::chrono::milliseconds timeout) {
  // Fairness: over TLS, pipelined commands can be read and answered without ever waiting,
  // which would keep the io thread (and pile up the deadlines' cancelled timer waits).
  if (++reads_ % yield_every == 0) {
    auto ex = co_await net::this_coro::executor;
    co_await net::post(ex, net::use_awaitable);
  }
  if (!arm(bound(timeout))) co_return line_result{make_error_code(errc::timed_out), {}};
  auto r = co_await ch_.read_line();
  if (disarm()) r.ec = make_error_code(errc::timed_out);
  co_return r;
}

net::awaitable<std::error_code> session_io::read_exact(std::size_t n, std::string& out,
                                                       std::chrono::milliseconds timeout) {
  if (!arm(bound(timeout))) co_return make_error_code(errc::timed_out);
  auto ec = co_await ch_.read_exact(n, out);
  if (disarm()) ec = make_error_code(errc::timed_out);
  co_return ec;
}

// Parameters are strings by value: a coroutine frame must own what it sends.
net::awaitable<bool> session_io::send(std::string line) {
  line += "\r\n";
  co_return co_await send_raw(std::move(line));
}

net::awaitable<bool> session_io::send_raw(std::string bytes) {
  if (closed_) co_return false;
  if (!arm(bound(ctx_.cfg.send_timeout))) co_return false;
  auto ec = co_await t_.write_all(bytes);
  if (auto late = disarm(); late || ec) {
    closed_ = true;
    co_return false;
  }
  co_return true;
}

net::awaitable<bool> session_io::login_failed(std::string reply) {
  co_await sleep(ctx_.cfg.auth_failure_delay);
  if (auto cw = co_await send(std::move(reply)); !cw) co_return false;
  std::size_t cap = ctx_.cfg.max_auth_failures;
  if (cap == 0 || ++auth_failures_ < cap) co_return true;
  ctx_.events.add("session.auth_failures", {{"protocol", protocol_}, {"peer", peer_},
                                            {"failures", auth_failures_}});
  if (protocol_ == "imap") co_await send(text::imap_bye_auth_failures);
  else if (protocol_ == "smtp") co_await send(text::smtp_too_many_errors);
  co_return false;
}

net::awaitable<void> session_io::sleep(std::chrono::milliseconds d) {
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
}

net::awaitable<void> session_io::close() {
  if (closed_) co_return;
  closed_ = true;
  co_await t_.shutdown();
}

net::awaitable<bool> session_io::apply_fault(std::string_view command, std::string_view tag) {
  auto f = ctx_.faults.take(protocol_, command);
  if (!f) co_return false;
  ctx_.events.add("fault.applied", {{"protocol", protocol_}, {"command", std::string(command)},
                                    {"fault", fault_to_json(*f)}});
  switch (f->action) {
    case fault_rule::kind::delay:
      co_await sleep(std::chrono::milliseconds(f->delay_ms));
      co_return false;
    case fault_rule::kind::disconnect:
      t_.close();
      closed_ = true;
      co_return true;
    case fault_rule::kind::expire_token:
      expiry_fault_ = f->after_s;
      co_return false;
    case fault_rule::kind::reply: {
      std::string text = f->text;
      for (auto p = text.find("{tag}"); p != std::string::npos; p = text.find("{tag}"))
        text.replace(p, 5, tag);
      if (f->delay_ms > 0) co_await sleep(std::chrono::milliseconds(f->delay_ms));
      if (!text.ends_with("\r\n")) text += "\r\n";
      co_await send_raw(text);
      co_return true;
    }
  }
  co_return false;
}

std::optional<int> session_io::take_expiry_fault() {
  auto v = expiry_fault_;
  expiry_fault_.reset();
  return v;
}

}  // namespace mh::fake
