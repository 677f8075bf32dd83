// A byte stream that may be upgraded to TLS, with a per-operation deadline.
//
// The protocol engine talks only to this interface, so the same engine runs over real
// sockets (tcp_transport) and over the in-memory test double with injected failures
// (tests/support/memory_transport.hpp), as Beast's test::stream + fail_count.
// Errors are mh::errc values: connection_lost (EOF/reset), timed_out, tls_* / cert_*.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "net/asio.hpp"

namespace mh {

struct tls_info {
  bool active = false;
  std::string version;      // "TLSv1.3"
  std::string cipher;       // "TLS_AES_256_GCM_SHA384"
  std::string group;        // key exchange group, e.g. "X25519"
  std::string peer_subject; // certificate subject, one line
  std::string peer_issuer;
  bool verified = false;    // chain and host name verified
  bool insecure = false;    // verification was switched off by the user
  bool resumed = false;     // an earlier session was resumed (abbreviated handshake)
};

struct io_result {
  std::error_code ec;
  std::size_t n = 0;
};

class transport {
 public:
  virtual ~transport() = default;
  // Reads at least one byte into buf.
  virtual net::awaitable<io_result> read_some(std::span<char> buf) = 0;
  virtual net::awaitable<std::error_code> write_all(std::string_view data) = 0;
  // Runs the TLS handshake on the connection (client or server role is fixed at creation).
  virtual net::awaitable<std::error_code> handshake() = 0;
  // Deadline for each following operation.
  virtual void set_timeout(std::chrono::milliseconds t) = 0;
  virtual tls_info tls() const = 0;
  // Human detail of the last failure (OpenSSL reason, errno text); never contains secrets.
  virtual std::string last_detail() const = 0;
  virtual void close() = 0;
};

}  // namespace mh
