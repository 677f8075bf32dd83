#include "identity/token_faults.hpp"

namespace mh::fake {

void token_faults::set(token_fault f) {
  std::lock_guard lock(mu_);
  plan_ = f;
}

void token_faults::clear() {
  std::lock_guard lock(mu_);
  plan_.reset();
}

std::optional<token_fault> token_faults::take() {
  std::lock_guard lock(mu_);
  if (!plan_) return std::nullopt;
  token_fault f = *plan_;
  if (--plan_->count <= 0) plan_.reset();
  return f;
}

std::optional<token_fault> token_faults::pending() const {
  std::lock_guard lock(mu_);
  return plan_;
}

std::optional<token_fault> token_faults::from_json(const nlohmann::json& j, std::string* why) {
  auto no = [&](const char* reason) -> std::optional<token_fault> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (!j.is_object()) return no("expected a JSON object");
  token_fault f;
  auto read = [&](const char* key, int& out, int lo, int hi) {
    if (!j.contains(key)) return true;
    if (!j[key].is_number_integer()) return false;
    auto v = j[key].get<long long>();
    if (v < lo || v > hi) return false;
    out = static_cast<int>(v);
    return true;
  };
  for (const auto& [k, v] : j.items())
    if (k != "status" && k != "retry_after" && k != "delay_ms" && k != "count")
      return no("unknown member (expected status, retry_after, delay_ms, count)");
  if (!read("status", f.status, 0, 599) || (f.status != 0 && f.status < 400))
    return no("status must be an integer 400-599");
  if (!read("retry_after", f.retry_after_s, 0, 86400)) return no("retry_after must be 0-86400");
  if (!read("delay_ms", f.delay_ms, 0, 120000)) return no("delay_ms must be 0-120000");
  if (!read("count", f.count, 1, 1000000)) return no("count must be 1-1000000");
  if (f.status == 0 && f.delay_ms == 0) return no("give a status, a delay_ms, or both");
  return f;
}

}  // namespace mh::fake
