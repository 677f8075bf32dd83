#include "net/line_channel.hpp"

#include "core/error.hpp"

namespace mh {

net::awaitable<std::error_code> line_channel::fill() {
  auto space = buf_.prepare(16 * 1024);
  auto r = co_await t_.read_some(space);
  buf_.commit(r.ec ? 0 : r.n);
  co_return r.ec;
}

net::awaitable<line_result> line_channel::read_line() {
  while (true) {
    auto r = buf_.next_line();
    if (r.st == line_buffer::status::line) co_return line_result{{}, std::string(r.line)};
    if (r.st == line_buffer::status::error) co_return line_result{r.error, std::string(r.line)};
    if (auto ec = co_await fill()) co_return line_result{ec, {}};
  }
}

net::awaitable<std::error_code> line_channel::read_exact(std::size_t n, std::string& out) {
  while (!buf_.take_bytes(n, out)) {
    if (auto ec = co_await fill()) co_return ec;
  }
  co_return std::error_code{};
}

net::awaitable<std::error_code> line_channel::start_tls() {
  if (buf_.buffered() != 0) co_return make_error_code(errc::data_after_starttls);
  co_return co_await t_.handshake();
}

}  // namespace mh
