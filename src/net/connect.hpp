// Resolve and TCP-connect with a deadline per phase, reporting each phase's duration.
// Every resolved address is tried in order; the last failure is reported.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "net/asio.hpp"

namespace mh {

struct connect_result {
  std::error_code ec;        // resolve_failed, connect_refused, connect_failed, timed_out
  std::string detail;        // human detail
  bool failed_in_resolve = false;
  std::optional<tcp::socket> socket;
  std::string peer;          // "127.0.0.1:993"
  std::chrono::nanoseconds resolve_time{0};
  std::chrono::nanoseconds connect_time{0};
};

net::awaitable<connect_result> tcp_connect(const std::string& host, std::uint16_t port,
                                           std::chrono::milliseconds timeout);

}  // namespace mh
