#include "net/line_buffer.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"

namespace mh {

void line_buffer::compact() {
  if (start_ == 0) return;
  if (start_ == data_.size()) {
    data_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ * 2 > data_.size()) {
    data_.erase(0, start_);
    start_ = 0;
  }
}

std::span<char> line_buffer::prepare(std::size_t n) {
  if (prepared_) data_.resize(data_.size() - prepared_);
  compact();
  std::size_t old = data_.size();
  data_.resize(old + n);
  prepared_ = n;
  return {data_.data() + old, n};
}

void line_buffer::commit(std::size_t n) {
  n = std::min(n, prepared_);
  data_.resize(data_.size() - prepared_ + n);
  prepared_ = 0;
}

void line_buffer::append(std::string_view bytes) {
  if (prepared_) commit(0);
  compact();
  data_.append(bytes);
}

line_buffer::result line_buffer::next_line() {
  if (prepared_) commit(0);
  const char* base = data_.data() + start_;
  std::size_t avail = data_.size() - start_;
  const void* lf = std::memchr(base + scanned_, '\n', avail - scanned_);
  if (!lf) {
    scanned_ = avail;
    if (avail > limits_.max_line + 1)  // +1: a CR may still be waiting for its LF
      return {status::error, {}, make_error_code(errc::line_too_long)};
    return {status::need_more, {}, {}};
  }
  std::size_t lf_pos = static_cast<std::size_t>(static_cast<const char*>(lf) - base);
  std::size_t len = lf_pos;
  bool crlf = len > 0 && base[len - 1] == '\r';
  if (crlf) --len;
  std::string_view line(base, len);
  start_ += lf_pos + 1;
  scanned_ = 0;
  if (len > limits_.max_line) return {status::error, line, make_error_code(errc::line_too_long)};
  if (!crlf && !limits_.allow_bare_lf) return {status::error, line, make_error_code(errc::bare_lf)};
  if (line.find('\0') != std::string_view::npos)
    return {status::error, line, make_error_code(errc::nul_in_line)};
  if (line.find('\r') != std::string_view::npos)
    return {status::error, line, make_error_code(errc::weird_server_reply)};
  return {status::line, line, {}};
}

bool line_buffer::take_bytes(std::size_t n, std::string& out) {
  if (prepared_) commit(0);
  if (buffered() < n) return false;
  out.append(data_, start_, n);
  start_ += n;
  scanned_ = 0;
  return true;
}

std::size_t line_buffer::discard(std::size_t n) {
  if (prepared_) commit(0);
  n = std::min(n, buffered());
  start_ += n;
  scanned_ = 0;
  return n;
}

}  // namespace mh
