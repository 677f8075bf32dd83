// The one coroutine that moves bytes for every protocol FSM: performs each action over a
// line_channel, assembles responses with the FSM's classifier, records the redacted
// transcript and the phase timings. Each response has one deadline (`response_timeout`)
// that starts when the command has been fully written, so a server dripping bytes cannot
// hold a session past it.
#pragma once

#include <chrono>

#include "core/transcript.hpp"
#include "metrics/phase_timer.hpp"
#include "net/line_channel.hpp"
#include "session/client_fsm.hpp"

namespace mh {

struct driver_limits {
  std::chrono::milliseconds response_timeout{30000};
  std::size_t max_response_bytes = 4 * 1024 * 1024;  // lines + literals of one response
};

// Arguments other than the limits are references the caller keeps alive until the
// coroutine completes; the limits are copied (a temporary would dangle).
net::awaitable<void> drive(client_fsm& fsm, line_channel& ch, transcript& tr, phase_timer& timer,
                           driver_limits limits);

}  // namespace mh
