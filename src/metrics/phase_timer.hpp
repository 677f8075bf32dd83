// Per-phase timing of one login with a monotonic clock (DESIGN §6). Phases are recorded as
// spans in the order they happened; a phase may be entered only once per login.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "core/phase.hpp"

namespace mh {

struct phase_span {
  phase ph;
  std::chrono::nanoseconds start{0};     // since the login began
  std::chrono::nanoseconds duration{0};
  bool ok = true;
};

class phase_timer {
 public:
  using clock = std::chrono::steady_clock;
  phase_timer() : t0_(clock::now()) {}

  // Ends the current phase (ok) and starts `p`; no-op if `p` is already current.
  void enter(phase p);
  // Records a phase measured elsewhere (resolve, connect) as a completed span.
  void add(phase p, std::chrono::nanoseconds start, std::chrono::nanoseconds duration, bool ok);
  // Ends the current phase, marking it failed or not.
  void finish(bool ok);
  // Marks the recorded span of `p` as failed (the phase a failure belongs to).
  void mark_failed(phase p);
  std::optional<phase> current() const { return current_; }
  std::chrono::nanoseconds elapsed() const { return clock::now() - t0_; }
  clock::time_point origin() const { return t0_; }
  const std::vector<phase_span>& spans() const { return spans_; }

 private:
  clock::time_point t0_;
  std::optional<phase> current_;
  clock::time_point current_start_{};
  std::vector<phase_span> spans_;
};

}  // namespace mh
