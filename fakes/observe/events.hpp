// What clients did, recorded by the fake as events (DESIGN §4, issue 3): which grant or
// mechanism, canonical XOAUTH2 or not, token age and remaining lifetime at use, refresh-
// token reuse, reconnects. Events never hold secrets: tokens appear only as fingerprints.
// Single-threaded use (the fake's io_context thread) unless noted.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mh::fake {

struct event {
  std::int64_t at_ms = 0;  // milliseconds since the fake started
  std::string kind;        // "token.issued", "token.error", "imap.auth", ...
  nlohmann::json data;
};

class event_log {
 public:
  event_log() : t0_(std::chrono::steady_clock::now()) {}
  // Thread-safe.
  void add(std::string kind, nlohmann::json data);
  // Events with index >= since, as a JSON array.
  nlohmann::json to_json(std::size_t since = 0) const;
  std::size_t size() const;
  std::vector<event> snapshot() const;

 private:
  std::chrono::steady_clock::time_point t0_;
  mutable std::mutex mu_;
  std::vector<event> events_;
  static constexpr std::size_t max_events = 200000;  // oldest dropped beyond this
};

}  // namespace mh::fake
