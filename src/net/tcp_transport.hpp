// transport over a TCP socket with optional TLS (implicit or after STARTTLS), for the
// client and for the fake servers. Deadlines are enforced by a watchdog timer that cancels
// the socket; the operation then reports errc::timed_out.
//
// Thread safety: one coroutine at a time per object (sessions own their transport).
#pragma once

#include <memory>
#include <optional>

#include "net/transport.hpp"
#include "net/watchdog.hpp"

namespace mh {

class tcp_transport final : public transport {
 public:
  enum class role { client, server };

  // `host` is used for SNI and certificate verification in the client role.
  tcp_transport(tcp::socket socket, std::shared_ptr<ssl::context> tls_ctx, role r,
                std::string host = {}, bool verify = true);
  ~tcp_transport() override;

  net::awaitable<io_result> read_some(std::span<char> buf) override;
  net::awaitable<std::error_code> write_all(std::string_view data) override;
  net::awaitable<std::error_code> handshake() override;
  void set_timeout(std::chrono::milliseconds t) override { timeout_ = t; }
  tls_info tls() const override { return info_; }
  std::string last_detail() const override { return detail_; }
  void close() override;

  // Sends TLS close_notify (bounded by the deadline) before closing; errors are ignored.
  net::awaitable<void> shutdown();

  tcp::socket& socket() { return stream_.next_layer(); }

 private:
  void arm();
  std::error_code disarm(const boost::system::error_code& ec);

  std::shared_ptr<ssl::context> ctx_;
  ssl::stream<tcp::socket> stream_;
  watchdog dog_;
  role role_;
  std::string host_;
  bool verify_;
  bool tls_active_ = false;
  std::chrono::milliseconds timeout_{30000};
  tls_info info_;
  std::string detail_;
};

}  // namespace mh
