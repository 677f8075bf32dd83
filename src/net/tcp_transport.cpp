#include "net/tcp_transport.hpp"

#include <openssl/ssl.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/error.hpp"
#include "net/tls.hpp"

namespace mh {

tcp_transport::tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls_ctx, role r,
                             std::string host, bool verify)
    : ctx_(tls_ctx ? std::move(tls_ctx)
                   : std::make_shared<ssl::context>(ssl::context::tls_client)),
      stream_(std::move(socket), *ctx_),
      dog_(stream_.get_executor()),
      role_(r),
      host_(std::move(host)),
      verify_(verify) {
  info_.insecure = !verify;
}

tcp_transport::~tcp_transport() { close(); }

void tcp_transport::arm() {
  dog_.arm(timeout_, [this] {
    boost::system::error_code ignored;
    stream_.next_layer().cancel(ignored);
  });
}

std::error_code tcp_transport::disarm(const boost::system::error_code& ec) {
  bool timed_out = dog_.disarm();
  if (!ec) return {};
  if (timed_out) {
    detail_ = "no data within " + std::to_string(timeout_.count()) + " ms";
    return make_error_code(errc::timed_out);
  }
  detail_ = ec.message();
  if (ec == net::error::eof || ec == net::error::connection_reset ||
      ec == ssl::error::stream_truncated || ec == net::error::broken_pipe ||
      ec == net::error::connection_aborted)
    return make_error_code(errc::connection_lost);
  if (ec.category() == net::error::get_ssl_category()) {
    return make_error_code(errc::tls_handshake_failed);
  }
  return make_error_code(errc::connection_lost);
}

net::awaitable<io_result> tcp_transport::read_some(std::span<char> buf) {
  arm();
  auto mb = net::buffer(buf.data(), buf.size());
  auto [ec, n] = tls_active_
                     ? co_await stream_.async_read_some(mb, net::as_tuple(net::use_awaitable))
                     : co_await stream_.next_layer().async_read_some(
                           mb, net::as_tuple(net::use_awaitable));
  auto err = disarm(ec);
  // Data that arrived together with EOF is still delivered; the error shows next time.
  if (err && n > 0) err = {};
  co_return io_result{err, n};
}

net::awaitable<std::error_code> tcp_transport::write_all(std::string_view data) {
  arm();
  auto cb = net::buffer(data.data(), data.size());
  auto [ec, n] = tls_active_
                     ? co_await net::async_write(stream_, cb, net::as_tuple(net::use_awaitable))
                     : co_await net::async_write(stream_.next_layer(), cb,
                                                 net::as_tuple(net::use_awaitable));
  (void)n;
  co_return disarm(ec);
}

net::awaitable<std::error_code> tcp_transport::handshake() {
  SSL* ssl = stream_.native_handle();
  if (role_ == role::client && !set_client_peer(ssl, host_, verify_)) {
    detail_ = "cannot set TLS peer name " + host_;
    co_return make_error_code(errc::tls_handshake_failed);
  }
  arm();
  auto type = role_ == role::client ? ssl::stream_base::client : ssl::stream_base::server;
  auto [ec] = co_await stream_.async_handshake(type, net::as_tuple(net::use_awaitable));
  bool timed_out = dog_.disarm();
  if (ec) {
    if (timed_out) {
      detail_ = "TLS handshake not completed within " + std::to_string(timeout_.count()) + " ms";
      co_return make_error_code(errc::timed_out);
    }
    if (ec == net::error::eof || ec == ssl::error::stream_truncated ||
        ec == net::error::connection_reset) {
      detail_ = "connection closed during the TLS handshake";
      co_return make_error_code(errc::tls_handshake_failed);
    }
    co_return classify_handshake_failure(ssl, ec.message(), detail_);
  }
  tls_active_ = true;
  describe_session(ssl, info_);
  co_return std::error_code{};
}

net::awaitable<void> tcp_transport::shutdown() {
  if (tls_active_) {
    // close_notify is a courtesy: never wait long for the peer's answer.
    timeout_ = std::min(timeout_, std::chrono::milliseconds(1000));
    arm();
    co_await stream_.async_shutdown(net::as_tuple(net::use_awaitable));
    dog_.disarm();
  }
  close();
}

void tcp_transport::close() {
  boost::system::error_code ignored;
  dog_.disarm();
  auto& s = stream_.next_layer();
  if (s.is_open()) {
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
}

}  // namespace mh
