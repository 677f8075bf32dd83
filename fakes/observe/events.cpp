#include "observe/events.hpp"

namespace mh::fake {

void event_log::add(std::string kind, nlohmann::json data) {
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (events_.size() >= max_events) events_.erase(events_.begin(), events_.begin() + max_events / 10);
  events_.push_back(
      {std::chrono::duration_cast<std::chrono::milliseconds>(now - t0_).count(), std::move(kind),
       std::move(data)});
}

nlohmann::json event_log::to_json(std::size_t since) const {
  std::lock_guard lock(mu_);
  auto out = nlohmann::json::array();
  for (std::size_t i = since; i < events_.size(); ++i)
    out.push_back({{"at_ms", events_[i].at_ms}, {"kind", events_[i].kind}, {"data", events_[i].data}});
  return out;
}

std::size_t event_log::size() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

std::vector<event> event_log::snapshot() const {
  std::lock_guard lock(mu_);
  return events_;
}

}  // namespace mh::fake
