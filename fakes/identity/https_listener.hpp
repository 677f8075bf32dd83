// A small HTTPS/1.1 server on Boost.Beast for the fakes: accepts on one endpoint, TLS with
// the given context, keep-alive, one synchronous handler per request (optionally delayed),
// and strict bounds: header and body limits, handshake and idle timeouts, a cap on
// connections. A request that cannot be parsed gets the bad-request handler's answer (400,
// 413 body too large, 431 headers too large) and the connection is closed; the listener
// keeps serving others. Runs on the caller's io_context; never throws out of a session.
//
// Lifetime: stop() may be called from any thread. Destroy the listener on the io_context's
// thread or once it no longer runs; sessions still suspended then see the listener stopped.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/asio.hpp"

namespace mh::fake {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

struct http_answer {
  http_response res;
  std::chrono::milliseconds delay{0};  // wait this long before sending
  // CPU-heavy work that must not hold up the io_context (e.g. signing a token): run on the
  // listener's worker threads (one per core) before the response is sent. It must touch only
  // the response and thread-safe state.
  std::function<void(http_response&)> finish;
};

struct listener_limits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = 64 * 1024;         // larger bodies are read, then answered 413
  std::size_t hard_body_bytes = 1024 * 1024;  // beyond: 413 at once, connection closed
  std::chrono::seconds handshake{10};
  std::chrono::seconds idle{30};              // keep-alive idle time and per-request read time
  std::chrono::seconds write{30};
  std::size_t max_connections = 512;
};

using http_handler = std::function<http_answer(const http_request&)>;
// An unparseable request: the status to send (400, 413, 431) and why.
using bad_request_handler = std::function<http_answer(int status, const std::string& reason)>;

class https_listener {
 public:
  // Binds and listens at once (throws boost::system::system_error when it cannot).
  https_listener(net::io_context& io, const tcp::endpoint& at, std::shared_ptr<ssl::context> tls,
                 http_handler handler, bad_request_handler bad, listener_limits limits = {});
  ~https_listener();
  https_listener(const https_listener&) = delete;
  https_listener& operator=(const https_listener&) = delete;

  std::uint16_t port() const { return port_; }
  // Connections accepted so far (one per TCP connection; keep-alive requests reuse theirs).
  // Call on the io_context's thread.
  std::uint64_t connections_accepted() const;
  // Closes the acceptor and every connection; no handler runs afterwards.
  void stop();

  struct state;  // implementation detail, shared with the sessions

 private:
  std::shared_ptr<state> s_;
  std::unique_ptr<net::thread_pool> workers_;  // runs http_answer::finish
  std::uint16_t port_ = 0;
};

}  // namespace mh::fake
