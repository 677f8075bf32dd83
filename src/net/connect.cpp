#include "net/connect.hpp"

#include <boost/asio/this_coro.hpp>

#include "core/error.hpp"
#include "net/watchdog.hpp"

namespace mh {
using clock = std::chrono::steady_clock;

net::awaitable<connect_result> tcp_connect(const std::string& host, std::uint16_t port,
                                           std::chrono::milliseconds timeout) {
  auto ex = co_await net::this_coro::executor;
  connect_result out;
  watchdog dog(ex);

  tcp::resolver resolver(ex);
  auto t0 = clock::now();
  dog.arm(timeout, [&resolver] { resolver.cancel(); });
  auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port),
                                                        net::as_tuple(net::use_awaitable));
  bool timed_out = dog.disarm();
  out.resolve_time = clock::now() - t0;
  if (rec || results.empty()) {
    out.failed_in_resolve = true;
    if (timed_out) {
      out.ec = make_error_code(errc::timed_out);
      out.detail = "resolving " + host + " took longer than " +
                   std::to_string(timeout.count()) + " ms";
    } else {
      out.ec = make_error_code(errc::resolve_failed);
      out.detail = "cannot resolve " + host + ": " + rec.message();
    }
    co_return out;
  }

  auto t1 = clock::now();
  for (const auto& entry : results) {
    tcp::socket sock(ex);
    dog.arm(timeout, [&sock] {
      boost::system::error_code ignored;
      sock.close(ignored);
    });
    auto ep = entry.endpoint();
    auto [cec] = co_await sock.async_connect(ep, net::as_tuple(net::use_awaitable));
    timed_out = dog.disarm();
    std::string where = ep.address().to_string() + ":" + std::to_string(ep.port());
    if (!cec) {
      boost::system::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      out.socket.emplace(std::move(sock));
      out.peer = where;
      out.ec = {};
      out.detail.clear();
      break;
    }
    if (timed_out) {
      out.ec = make_error_code(errc::timed_out);
      out.detail = "TCP connect to " + where + " took longer than " +
                   std::to_string(timeout.count()) + " ms";
    } else if (cec == net::error::connection_refused) {
      out.ec = make_error_code(errc::connect_refused);
      out.detail = "connection to " + where + " refused";
    } else {
      out.ec = make_error_code(errc::connect_failed);
      out.detail = "cannot connect to " + where + ": " + cec.message();
    }
  }
  out.connect_time = clock::now() - t1;
  co_return out;
}

}  // namespace mh
