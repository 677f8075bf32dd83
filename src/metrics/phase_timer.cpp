#include "metrics/phase_timer.hpp"

namespace mh {

void phase_timer::enter(phase p) {
  if (current_ == p) return;
  finish(true);
  current_ = p;
  current_start_ = clock::now();
}

void phase_timer::add(phase p, std::chrono::nanoseconds start, std::chrono::nanoseconds duration,
                      bool ok) {
  spans_.push_back({p, start, duration, ok});
}

void phase_timer::finish(bool ok) {
  if (!current_) return;
  auto now = clock::now();
  spans_.push_back({*current_, current_start_ - t0_, now - current_start_, ok});
  current_.reset();
}

void phase_timer::mark_failed(phase p) {
  for (auto& s : spans_)
    if (s.ph == p) s.ok = false;
}

}  // namespace mh
