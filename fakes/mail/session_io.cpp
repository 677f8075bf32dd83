#include "mail/session_io.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

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
      ch_(t_, {ctx.cfg.max_line, false}) {}

net::awaitable<bool> session_io::tls_handshake() {
  t_.set_timeout(ctx_.cfg.login_timeout);
  auto ec = co_await ch_.start_tls();
  co_return !ec;
}

net::awaitable<line_result> session_io::read_line(std::chrono::milliseconds timeout) {
  t_.set_timeout(timeout);
  co_return co_await ch_.read_line();
}

net::awaitable<std::error_code> session_io::read_exact(std::size_t n, std::string& out,
                                                       std::chrono::milliseconds timeout) {
  t_.set_timeout(timeout);
  co_return co_await ch_.read_exact(n, out);
}

// Parameters are strings by value: a coroutine frame must own what it sends.
net::awaitable<bool> session_io::send(std::string line) {
  line += "\r\n";
  co_return co_await send_raw(std::move(line));
}

net::awaitable<bool> session_io::send_raw(std::string bytes) {
  if (closed_) co_return false;
  t_.set_timeout(ctx_.cfg.idle_timeout);
  if (auto cw = co_await t_.write_all(bytes); cw) {
    closed_ = true;
    co_return false;
  }
  co_return true;
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
