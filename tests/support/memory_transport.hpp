// In-memory transport for sans-socket tests (Beast's test::stream + fail_count).
//
// The server side is a list of segments: segment 0 is available at once (the greeting),
// segment i becomes readable after the client's i-th write, so a reply is only seen after
// its command, as on a real wire. Reads return at most `read_size` bytes (1 = byte by byte).
// When the readable bytes run out: timed_out if the script says the server stalls there,
// otherwise connection_lost (the server hung up). `fail_at` makes the n-th I/O operation
// (reads, writes and handshakes counted together) fail with connection_lost.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "net/transport.hpp"

namespace mh::test {

class memory_transport final : public transport {
 public:
  explicit memory_transport(std::vector<std::string> segments) : segments_(std::move(segments)) {
    if (!segments_.empty()) readable_ = segments_[0];
    released_ = 1;
  }

  std::size_t read_size = 1 << 20;
  long fail_at = -1;                 // index of the I/O operation that fails
  bool stall_when_empty = false;     // out of data: time out instead of EOF
  std::error_code handshake_error;   // result of handshake()
  std::string written;               // everything the client wrote
  long ops = 0;
  int handshakes = 0;

  net::awaitable<io_result> read_some(std::span<char> buf) override {
    if (ops++ == fail_at) co_return io_result{make_error_code(errc::connection_lost), 0};
    if (pos_ >= readable_.size()) {
      co_return io_result{make_error_code(stall_when_empty || released_ < segments_.size()
                                              ? errc::timed_out
                                              : errc::connection_lost),
                          0};
    }
    std::size_t n = std::min({buf.size(), read_size, readable_.size() - pos_});
    std::copy_n(readable_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return io_result{{}, n};
  }

  net::awaitable<std::error_code> write_all(std::string_view data) override {
    if (ops++ == fail_at) co_return make_error_code(errc::connection_lost);
    written.append(data);
    if (released_ < segments_.size()) readable_ += segments_[released_++];
    co_return std::error_code{};
  }

  net::awaitable<std::error_code> handshake() override {
    if (ops++ == fail_at) co_return make_error_code(errc::tls_handshake_failed);
    ++handshakes;
    if (!handshake_error) tls_.active = true;
    tls_.version = "TLSv1.3";
    co_return handshake_error;
  }

  void set_timeout(std::chrono::milliseconds) override {}
  tls_info tls() const override { return tls_; }
  std::string last_detail() const override { return {}; }
  void close() override {}

  // The client's lines, without CRLF.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < written.size()) {
      auto j = written.find("\r\n", i);
      if (j == std::string::npos) j = written.size();
      out.push_back(written.substr(i, j - i));
      i = j + 2;
    }
    return out;
  }

 private:
  std::vector<std::string> segments_;
  std::string readable_;
  std::size_t pos_ = 0;
  std::size_t released_ = 0;
  tls_info tls_;
};

}  // namespace mh::test
