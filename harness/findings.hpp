// The diagnosis of one failure as report JSON (records' "findings"): the evidence a real
// tenant shows (phase, error, exact reply, the token endpoint's AADSTS answer, the token's
// claims) goes to the diagnosis engine (src/diagnose/); `login`, `run` and `validate` all
// show the same findings for the same failure.
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "core/phase.hpp"
#include "diagnose/diagnose.hpp"
#include "oauth/token_response.hpp"

namespace mh::cli {

struct failure_evidence {
  std::string protocol;                  // "" for a token-only failure
  phase failed_phase = phase::auth;
  std::error_code error;
  std::string reply;
  std::optional<oauth::aad_error> token_error;
  std::optional<nlohmann::json> claims;  // decoded claims of the token presented
  bool app_only = true;
  std::map<std::string, std::string> values;  // tenant, client_id, mailbox, user, authority, ...
};

nlohmann::json finding_json(const diagnose::finding& f);
nlohmann::json findings_for(const failure_evidence& e);

// The claims of a token, decoded for diagnosis (never verified, never the signature);
// nullopt for an opaque token.
std::optional<nlohmann::json> token_claims(const std::string& token);

}  // namespace mh::cli
