// Renders a login_result for people (phase table + verdict), for machines (one JSON
// object, schema "mailharness.login/1") and as a redacted transcript.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "session/login.hpp"

namespace mh::cli {

nlohmann::json login_json(const login_options& o, const login_result& r, bool with_transcript);
void print_login_table(std::ostream& out, const login_options& o, const login_result& r);
void print_transcript(std::ostream& out, const login_result& r);

}  // namespace mh::cli
