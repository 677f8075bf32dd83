// One token-endpoint request while it is served (internal to the token_service files).
#pragma once

#include <optional>

#include "identity/token_service.hpp"

namespace mh::fake {

struct token_service::call {
  const service_request& req;
  request_ids ids{};
  form_params form{};
  std::optional<basic_credentials> basic{};
  bool generic = false;   // {tenant} was common/organizations/consumers
  std::int64_t now = 0;
  nlohmann::json ev{};    // the event recorded for this request (no secrets)
  // An access token whose signature is made off the io thread (token_service::deferred_token
  // stands in for it in the body until then).
  std::string unsigned_token{};
};

}  // namespace mh::fake
