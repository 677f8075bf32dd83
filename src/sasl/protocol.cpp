#include "sasl/protocol.hpp"

namespace mh::sasl {

std::string_view form_name(form f) {
  switch (f) {
    case form::automatic: return "auto";
    case form::initial_response: return "initial-response";
    case form::two_step: return "two-step";
  }
  return "auto";
}

bool use_initial_response(const protocol_params& p, form f, bool ir_advertised,
                          std::size_t command_line) {
  switch (f) {
    case form::two_step: return false;
    case form::initial_response: return true;
    case form::automatic: break;
  }
  if (!p.ir_by_default) return false;
  if (p.ir_needs_capability && !ir_advertised) return false;
  return p.max_command_line == 0 || command_line <= p.max_command_line;
}

}  // namespace mh::sasl
