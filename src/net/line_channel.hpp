// The shared line engine (curl's pingpong): a line_buffer over a transport. Reads whole
// lines and literal byte counts, writes commands, and upgrades to TLS. Protocol code above
// it only classifies lines (end of response or not) and decides what to send next.
//
// STARTTLS safety: start_tls() refuses when the peer has already sent bytes that would be
// read as plaintext after the upgrade (CVE-2011-0411 "command injection"): data_after_starttls.
#pragma once

#include <string>

#include "net/line_buffer.hpp"
#include "net/transport.hpp"

namespace mh {

struct line_result {
  std::error_code ec;
  std::string line;  // without CRLF; on a framing error, what was read of the line
};

class line_channel {
 public:
  line_channel(transport& t, line_limits limits) : t_(t), buf_(limits) {}

  net::awaitable<line_result> read_line();
  net::awaitable<std::error_code> read_exact(std::size_t n, std::string& out);
  net::awaitable<std::error_code> write(std::string_view data) { return t_.write_all(data); }
  net::awaitable<std::error_code> start_tls();

  transport& raw() { return t_; }
  line_buffer& buffer() { return buf_; }

 private:
  net::awaitable<std::error_code> fill();
  transport& t_;
  line_buffer buf_;
};

}  // namespace mh
