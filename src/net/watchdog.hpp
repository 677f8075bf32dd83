// A deadline for one operation at a time: arm() before the operation, disarm() after it.
// If the deadline passes first, the action runs (typically: cancel the socket) and
// disarm() reports the expiry. A stale expiry (queued just as the operation finished, or
// after the owner is gone) never runs the action: the state is shared and generation-counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "net/asio.hpp"

namespace mh {

class watchdog {
 public:
  explicit watchdog(const net::any_io_executor& ex)
      : timer_(ex), state_(std::make_shared<state>()) {}
  ~watchdog() {
    state_->action = nullptr;
    ++state_->gen;
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;

  void arm(std::chrono::milliseconds after, std::function<void()> action) {
    auto g = ++state_->gen;
    state_->expired = false;
    state_->action = std::move(action);
    timer_.expires_after(after);
    timer_.async_wait([s = state_, g](const boost::system::error_code& ec) {
      if (ec || s->gen != g || !s->action) return;
      s->expired = true;
      auto a = std::move(s->action);
      s->action = nullptr;
      a();
    });
  }

  // Stops the deadline; true if it had already expired.
  bool disarm() {
    ++state_->gen;
    state_->action = nullptr;
    timer_.cancel();
    return state_->expired;
  }

 private:
  struct state {
    std::uint64_t gen = 0;
    bool expired = false;
    std::function<void()> action;
  };
  net::steady_timer timer_;
  std::shared_ptr<state> state_;
};

}  // namespace mh
