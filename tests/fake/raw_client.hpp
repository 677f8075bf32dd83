// A line-at-a-time TLS client for talking to the fake in raw protocol lines from a test,
// built on the product's transport and line channel. Each call runs to completion.
#pragma once

#include <memory>
#include <string>

#include "net/connect.hpp"
#include "net/line_channel.hpp"
#include "net/tcp_transport.hpp"
#include "net/tls.hpp"

namespace mh::test {

class raw_client {
  // Runs one coroutine to completion (defined first: its return type is deduced).
  // The lambda `f` outlives its coroutine: both end inside this call.
  template <class F>
  auto run(F f) {
    using T = typename decltype(f())::value_type;
    T out{};
    io_.restart();
    net::co_spawn(io_, f(), [&](std::exception_ptr, T v) { out = std::move(v); });
    io_.run();
    return out;
  }

 public:
  raw_client(std::uint16_t port, const std::string& ca_file, bool implicit_tls) {
    ctx_ = make_client_context({ca_file, false});
    auto conn = run([&]() -> net::awaitable<connect_result> {
      co_return co_await tcp_connect("127.0.0.1", port, std::chrono::seconds(5));
    });
    if (conn.ec) throw std::runtime_error(conn.detail);
    t_ = std::make_unique<tcp_transport>(std::move(*conn.socket), ctx_, tcp_transport::role::client,
                                         "localhost", true);
    t_->set_timeout(std::chrono::seconds(5));
    ch_ = std::make_unique<line_channel>(*t_, line_limits{1 << 20, false});
    if (implicit_tls) starttls();
  }

  void starttls() {
    auto ec = run([&]() -> net::awaitable<std::error_code> { co_return co_await ch_->start_tls(); });
    if (ec) throw std::runtime_error("TLS: " + ec.message());
  }
  void send(const std::string& line) {
    std::string wire = line + "\r\n";
    run([&]() -> net::awaitable<std::error_code> { co_return co_await ch_->write(wire); });
  }
  // The next line, or "<error: ...>" when the connection ends or times out.
  std::string line() {
    auto r = run([&]() -> net::awaitable<line_result> { co_return co_await ch_->read_line(); });
    return r.ec ? "<error: " + r.ec.message() + ">" : r.line;
  }
  // Reads lines until one starts with `prefix` (returned); all lines read go to `seen`.
  std::string until(const std::string& prefix, std::string* seen = nullptr) {
    for (int i = 0; i < 1000; ++i) {
      std::string l = line();
      if (seen) *seen += l + "\n";
      if (l.starts_with(prefix) || l.starts_with("<error")) return l;
    }
    return "<too many lines>";
  }

 private:
  net::io_context io_;
  std::shared_ptr<ssl::context> ctx_;
  std::unique_ptr<tcp_transport> t_;
  std::unique_ptr<line_channel> ch_;
};

}  // namespace mh::test
