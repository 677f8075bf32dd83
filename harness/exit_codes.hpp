// Exit codes (DESIGN §2): 0 all checks passed; 1 a check failed; 2 usage or configuration
// error; 3 target unreachable or infrastructure failure.
#pragma once

#include <system_error>

#include "core/phase.hpp"

namespace mh::cli {

inline constexpr int exit_pass = 0;
inline constexpr int exit_fail = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_unreachable = 3;

// The exit code for a login outcome: connect-class errors and timeouts before the first
// byte from the server mean "unreachable"; local errors mean configuration. In phase token,
// anything but a refusal (AADSTS error) or a local error is "unreachable".
int exit_code_for(std::error_code ec, phase failed_phase);

}  // namespace mh::cli
