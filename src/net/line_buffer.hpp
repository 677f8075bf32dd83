// Sans-I/O CRLF line framing shared by IMAP, POP3 and SMTP, client and server side
// (curl's pingpong; style-anchors rule 1).
//
// Bytes go in with prepare()/commit() or append(); complete lines come out of next_line()
// without their CRLF. Literal bytes (IMAP `{n}`) come out of take_bytes(). Limits are
// parameters, not constants. Errors are sticky per line: after an error the caller decides
// whether the connection can go on (servers usually answer and drop).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

namespace mh {

struct line_limits {
  std::size_t max_line = 64 * 1024;  // octets, excluding CRLF
  bool allow_bare_lf = false;        // accept "\n" as a line end (lenient peers)
};

class line_buffer {
 public:
  explicit line_buffer(line_limits limits = {}) : limits_(limits) {}

  // Space for up to n more bytes; commit(k) makes k of them readable.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  void append(std::string_view bytes);

  enum class status { line, need_more, error };
  struct result {
    status st = status::need_more;
    std::string_view line;  // valid until the next call that changes the buffer
    std::error_code error;  // line_too_long, bare_lf, nul_in_line, weird_server_reply
  };
  // The next complete line. A line longer than max_line is an error as soon as more than
  // max_line bytes are buffered without a line end, so memory stays bounded.
  result next_line();

  // Moves exactly n buffered bytes into `out` (appending); false if fewer are buffered.
  bool take_bytes(std::size_t n, std::string& out);

  // Drops up to n buffered bytes (used to skip an over-long line); returns how many.
  std::size_t discard(std::size_t n);

  std::size_t buffered() const noexcept { return data_.size() - start_; }
  const line_limits& limits() const noexcept { return limits_; }

 private:
  void compact();
  line_limits limits_;
  std::string data_;
  std::size_t start_ = 0;
  std::size_t scanned_ = 0;   // bytes after start_ already known to contain no LF
  std::size_t prepared_ = 0;  // bytes reserved by prepare() and not yet committed
};

}  // namespace mh
