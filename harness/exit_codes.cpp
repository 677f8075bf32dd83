#include "exit_codes.hpp"

#include "core/error.hpp"

namespace mh::cli {

int exit_code_for(std::error_code ec, phase failed_phase) {
  if (!ec) return exit_pass;
  error_class c = classify(ec);
  // The token endpoint failing us (not saying no) is an infrastructure failure.
  if (failed_phase == phase::token && c != error_class::rejected && c != error_class::local)
    return exit_unreachable;
  switch (c) {
    case error_class::connect: return exit_unreachable;
    case error_class::local: return exit_usage;
    case error_class::timeout:
      return failed_phase == phase::resolve || failed_phase == phase::connect ? exit_unreachable
                                                                             : exit_fail;
    default: return exit_fail;
  }
}

}  // namespace mh::cli
