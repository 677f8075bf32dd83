#include "identity/https_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <algorithm>
#include <thread>
#include <unordered_map>

namespace mh::fake {

namespace beast = boost::beast;
using stream_t = ssl::stream<beast::tcp_stream>;

struct https_listener::state {
  state(net::io_context& io, std::shared_ptr<ssl::context> t, http_handler h,
        bad_request_handler b, listener_limits l)
      : acceptor(io), tls(std::move(t)), handler(std::move(h)), bad(std::move(b)), limits(l) {}

  void shutdown() {
    if (stopped) return;
    stopped = true;
    workers = nullptr;  // the listener joins them; a session still running finishes inline
    boost::system::error_code ec;
    acceptor.close(ec);
    for (auto& [id, s] : live) s->close();
  }

  tcp::acceptor acceptor;
  std::shared_ptr<ssl::context> tls;
  http_handler handler;
  bad_request_handler bad;
  listener_limits limits;
  bool stopped = false;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, beast::tcp_stream*> live;
  net::thread_pool* workers = nullptr;  // owned by the listener; null once stopped
};

namespace {

// Removes a session from the registry however the coroutine ends.
struct registration {
  registration(std::shared_ptr<https_listener::state>& s, beast::tcp_stream* t) : s_(s), id_(s->next_id++) {
    s_->live.emplace(id_, t);
  }
  ~registration() { s_->live.erase(id_); }
  std::shared_ptr<https_listener::state>& s_;
  std::uint64_t id_;
};

net::awaitable<void> run_finish(const std::function<void(http_response&)>* finish, http_response* res) {
  (*finish)(*res);
  co_return;
}

int status_for(const boost::system::error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  return 400;
}

bool closed_quietly(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == ssl::error::stream_truncated || ec == beast::error::timeout ||
         ec == net::error::operation_aborted || ec == net::error::connection_reset ||
         ec == net::error::bad_descriptor;
}

net::awaitable<void> send(stream_t& stream, const std::shared_ptr<https_listener::state>& s,
                          http_answer& a, unsigned version, bool keep_alive, bool& ok) {
  if (a.delay.count() > 0) {
    net::steady_timer t(stream.get_executor());
    t.expires_after(a.delay);
    co_await t.async_wait(net::as_tuple(net::use_awaitable));
    if (s->stopped) {
      ok = false;
      co_return;
    }
  }
  a.res.version(version);
  a.res.keep_alive(keep_alive);
  a.res.prepare_payload();
  stream.next_layer().expires_after(s->limits.write);
  auto [ec, n] = co_await http::async_write(stream, a.res, net::as_tuple(net::use_awaitable));
  (void)n;
  ok = !ec;
}

net::awaitable<void> session(std::shared_ptr<https_listener::state> s, tcp::socket sock) {
  stream_t stream(beast::tcp_stream(std::move(sock)), *s->tls);
  registration reg(s, &stream.next_layer());
  stream.next_layer().expires_after(s->limits.handshake);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server,
                                               net::as_tuple(net::use_awaitable));
  if (hec || s->stopped) co_return;
  beast::flat_buffer buf;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->limits.header_bytes));
    parser.body_limit(s->limits.hard_body_bytes);
    stream.next_layer().expires_after(s->limits.idle);
    auto [ec, n] = co_await http::async_read(stream, buf, parser, net::as_tuple(net::use_awaitable));
    (void)n;
    if (s->stopped) co_return;
    bool ok = false;
    if (ec) {
      if (closed_quietly(ec) || !s->bad) co_return;
      http_answer a = s->bad(status_for(ec), ec.message());
      co_await send(stream, s, a, 11, false, ok);
      break;
    }
    const http_request& req = parser.get();
    bool keep_alive = req.keep_alive();
    http_answer a;
    if (req.body().size() > s->limits.body_bytes) {
      a = s->bad(413, "request body larger than " + std::to_string(s->limits.body_bytes) + " bytes");
    } else {
      try {
        a = s->handler(req);
        if (a.finish && s->workers)
          co_await net::co_spawn(s->workers->get_executor(), run_finish(&a.finish, &a.res), net::use_awaitable);
        else if (a.finish)
          a.finish(a.res);
      } catch (const std::exception& e) {
        a = s->bad(500, std::string("internal error: ") + e.what());
        keep_alive = false;
      }
    }
    co_await send(stream, s, a, req.version(), keep_alive, ok);
    if (!ok || !keep_alive || s->stopped) break;
  }
  stream.next_layer().expires_after(std::chrono::seconds(2));
  co_await stream.async_shutdown(net::as_tuple(net::use_awaitable));
}

net::awaitable<void> accept_loop(std::shared_ptr<https_listener::state> s) {
  for (;;) {
    auto [ec, sock] = co_await s->acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (s->stopped) co_return;
    if (ec) {
      if (!s->acceptor.is_open()) co_return;
      // Out of descriptors or similar: back off briefly instead of spinning.
      net::steady_timer t(s->acceptor.get_executor());
      t.expires_after(std::chrono::milliseconds(50));
      co_await t.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    if (s->live.size() >= s->limits.max_connections) continue;  // `sock` closes here
    net::co_spawn(s->acceptor.get_executor(), session(s, std::move(sock)), net::detached);
  }
}

}  // namespace

https_listener::https_listener(net::io_context& io, const tcp::endpoint& at,
                               std::shared_ptr<ssl::context> tls, http_handler handler,
                               bad_request_handler bad, listener_limits limits)
    : s_(std::make_shared<state>(io, std::move(tls), std::move(handler), std::move(bad), limits)),
      workers_(std::make_unique<net::thread_pool>(std::max(1u, std::thread::hardware_concurrency()))) {
  s_->workers = workers_.get();
  s_->acceptor.open(at.protocol());
  s_->acceptor.set_option(net::socket_base::reuse_address(true));
  s_->acceptor.bind(at);
  s_->acceptor.listen();
  port_ = s_->acceptor.local_endpoint().port();
  net::co_spawn(io, accept_loop(s_), net::detached);
}

https_listener::~https_listener() {
  s_->shutdown();
  workers_->join();
}

std::uint64_t https_listener::connections_accepted() const { return s_->next_id; }

void https_listener::stop() {
  net::dispatch(s_->acceptor.get_executor(), [s = s_] { s->shutdown(); });
}

}  // namespace mh::fake
