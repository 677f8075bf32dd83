// Faults on demand for the token endpoint (DESIGN §1.2, §6): the next N requests answer
// 429 (with Retry-After), 500, 503 or any error status, and/or are delayed. Set from code or
// from the control route POST /_fake/faults/token {"status":429,"retry_after":2,"count":3}
// or {"delay_ms":500,"count":1}; DELETE clears. Thread-safe.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mh::fake {

struct token_fault {
  int status = 0;         // 0: no error reply (delay only); otherwise 400-599
  int retry_after_s = 0;  // Retry-After header when > 0
  int delay_ms = 0;       // delay before the reply
  int count = 1;          // how many requests it applies to
};

class token_faults {
 public:
  // Replaces the current plan.
  void set(token_fault f);
  void clear();
  // The fault for the request being served (consumes one count), or nullopt.
  std::optional<token_fault> take();
  // The plan still pending, for inspection.
  std::optional<token_fault> pending() const;
  // Validates the control-route JSON; nullopt with *why on bad input.
  static std::optional<token_fault> from_json(const nlohmann::json& j, std::string* why);

 private:
  mutable std::mutex mu_;
  std::optional<token_fault> plan_;
};

}  // namespace mh::fake
