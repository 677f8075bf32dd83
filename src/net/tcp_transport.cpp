#include "net/tcp_transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "core/error.hpp"
#include "net/tls.hpp"

namespace mh {
namespace {

// "wrong version number (SSL routines)", as asio words OpenSSL errors.
std::string openssl_error_text() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (!e) return "TLS error";
  const char* reason = ERR_reason_error_string(e);
  const char* lib = ERR_lib_error_string(e);
  std::string out = reason ? reason : "TLS error";
  if (lib) out += std::string(" (") + lib + ")";
  return out;
}

// OpenSSL 3 reports a peer that closed without close_notify as an SSL error.
bool unexpected_eof() {
  return ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

void ignore_sigpipe_once() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

}  // namespace

tcp_transport::tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls_ctx, role r,
                             std::string host, bool verify)
    : ctx_(std::move(tls_ctx)),
      sock_(std::move(socket)),
      dog_(sock_.get_executor()),
      role_(r),
      host_(std::move(host)),
      verify_(verify) {
  info_.insecure = !verify;
  ignore_sigpipe_once();
}

tcp_transport::~tcp_transport() { close(); }

void tcp_transport::arm() {
  dog_.arm(timeout_, [this] {
    boost::system::error_code ignored;
    sock_.cancel(ignored);
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
  return make_error_code(errc::connection_lost);
}

net::awaitable<boost::system::error_code> tcp_transport::wait_for(int ssl_error) {
  auto w = ssl_error == SSL_ERROR_WANT_WRITE ? tcp::socket::wait_write : tcp::socket::wait_read;
  auto [ec] = co_await sock_.async_wait(w, net::as_tuple(net::use_awaitable));
  co_return ec;
}

std::error_code tcp_transport::io_failure(int ssl_error) {
  dog_.disarm();
  ssl_failed_ = ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_SSL;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    detail_ = "the peer closed the TLS session";
  } else if (ssl_error == SSL_ERROR_SSL && unexpected_eof()) {
    ERR_clear_error();
    detail_ = "stream truncated";
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    int err = errno;
    ERR_clear_error();
    detail_ = err ? std::strerror(err) : "stream truncated";
  } else {
    detail_ = openssl_error_text();
    return make_error_code(errc::tls_handshake_failed);
  }
  return make_error_code(errc::connection_lost);
}

net::awaitable<io_result> tcp_transport::read_some(std::span<char> buf) {
  arm();
  if (!tls_active_) {
    auto [ec, n] = co_await sock_.async_read_some(net::buffer(buf.data(), buf.size()),
                                                  net::as_tuple(net::use_awaitable));
    auto err = disarm(ec);
    // Data that arrived together with EOF is still delivered; the error shows next time.
    if (err && n > 0) err = {};
    co_return io_result{err, n};
  }
  for (;;) {
    std::size_t n = 0;
    errno = 0;
    int rc = SSL_read_ex(ssl_.get(), buf.data(), buf.size(), &n);
    if (rc == 1) {
      dog_.disarm();
      co_return io_result{{}, n};
    }
    int e = SSL_get_error(ssl_.get(), rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) co_return io_result{io_failure(e), 0};
    auto ec = co_await wait_for(e);
    if (ec) co_return io_result{disarm(ec), 0};
  }
}

net::awaitable<std::error_code> tcp_transport::write_all(std::string_view data) {
  arm();
  if (!tls_active_) {
    auto [ec, n] = co_await net::async_write(sock_, net::buffer(data.data(), data.size()),
                                             net::as_tuple(net::use_awaitable));
    (void)n;
    co_return disarm(ec);
  }
  std::size_t done = 0;
  while (done < data.size()) {
    std::size_t n = 0;
    errno = 0;
    // After WANT_*, the same call is repeated with the same arguments, as OpenSSL requires.
    int rc = SSL_write_ex(ssl_.get(), data.data() + done, data.size() - done, &n);
    if (rc == 1) {
      done += n;
      continue;
    }
    int e = SSL_get_error(ssl_.get(), rc);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) co_return io_failure(e);
    auto ec = co_await wait_for(e);
    if (ec) co_return disarm(ec);
  }
  dog_.disarm();
  co_return std::error_code{};
}

net::awaitable<std::error_code> tcp_transport::handshake() {
  if (!ctx_) ctx_ = std::make_shared<ssl::context>(ssl::context::tls_client);
  ssl_.reset(SSL_new(ctx_->native_handle()));
  boost::system::error_code nb;
  sock_.native_non_blocking(true, nb);
  if (!ssl_ || nb || SSL_set_fd(ssl_.get(), static_cast<int>(sock_.native_handle())) != 1) {
    detail_ = "cannot set up TLS on the connection: " + (nb ? nb.message() : openssl_error_text());
    ssl_failed_ = true;
    co_return make_error_code(errc::tls_handshake_failed);
  }
  SSL* ssl = ssl_.get();
  if (role_ == role::client) {
    SSL_set_connect_state(ssl);
    if (!set_client_peer(ssl, host_, verify_)) {
      detail_ = "cannot set TLS peer name " + host_;
      ssl_failed_ = true;
      co_return make_error_code(errc::tls_handshake_failed);
    }
  } else {
    SSL_set_accept_state(ssl);
  }
  arm();
  for (;;) {
    errno = 0;
    int rc = SSL_do_handshake(ssl);
    if (rc == 1) break;
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      auto ec = co_await wait_for(e);
      if (!ec) continue;
      ssl_failed_ = true;
      if (dog_.disarm()) {
        detail_ = "TLS handshake not completed within " + std::to_string(timeout_.count()) + " ms";
        co_return make_error_code(errc::timed_out);
      }
      detail_ = "connection closed during the TLS handshake";
      co_return make_error_code(errc::tls_handshake_failed);
    }
    dog_.disarm();
    ssl_failed_ = true;
    if (e == SSL_ERROR_SSL && !unexpected_eof())
      co_return classify_handshake_failure(ssl, openssl_error_text(), detail_);
    ERR_clear_error();
    detail_ = "connection closed during the TLS handshake";
    co_return make_error_code(errc::tls_handshake_failed);
  }
  dog_.disarm();
  tls_active_ = true;
  describe_session(ssl, info_);
  co_return std::error_code{};
}

net::awaitable<void> tcp_transport::shutdown() {
  // close_notify is a courtesy: sent if it fits in the socket buffer now, never waited for.
  if (tls_active_ && !ssl_failed_) {
    SSL_shutdown(ssl_.get());
    ERR_clear_error();
  }
  close();
  co_return;
}

void tcp_transport::close() {
  boost::system::error_code ignored;
  dog_.disarm();
  if (sock_.is_open()) {
    sock_.shutdown(tcp::socket::shutdown_both, ignored);
    sock_.close(ignored);
  }
}

}  // namespace mh
