#include "exit_codes.hpp"

#include "core/error.hpp"

namespace mh::cli {

int exit_code_for(std::error_code ec, phase failed_phase) {
  if (!ec) return exit_pass;
  switch (classify(ec)) {
    case error_class::connect: return exit_unreachable;
    case error_class::local: return exit_usage;
    case error_class::timeout:
      return failed_phase == phase::resolve || failed_phase == phase::connect ? exit_unreachable
                                                                             : exit_fail;
    default: return exit_fail;
  }
}

}  // namespace mh::cli
