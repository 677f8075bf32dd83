#include "findings.hpp"

#include <ctime>

#include "core/error.hpp"
#include "oauth/token_inspect.hpp"

namespace mh::cli {

nlohmann::json finding_json(const diagnose::finding& f) {
  nlohmann::json j = {{"id", f.id},
                      {"title", f.title},
                      {"step", f.step},
                      {"remediation", f.remediation},
                      {"confidence", f.confidence}};
  if (!f.explanation.empty()) j["explanation"] = f.explanation;
  if (!f.source.empty()) j["source"] = f.source;
  if (!f.distinguish.empty()) j["distinguish"] = f.distinguish;
  return j;
}

nlohmann::json findings_for(const failure_evidence& e) {
  diagnose::evidence ev;
  ev.protocol = e.protocol;
  ev.phase = std::string(phase_name(e.failed_phase));
  ev.error_class = std::string(class_name(classify(e.error)));
  ev.error_code = std::string(code_name(e.error));
  ev.reply = e.reply;
  if (e.token_error)
    ev.token_error = diagnose::aad_evidence{e.token_error->http_status, e.token_error->error, e.token_error->code,
                                            e.token_error->description};
  ev.claims = e.claims;
  ev.app_only = e.app_only;
  ev.values = e.values;
  if (!ev.values.count("now")) ev.values["now"] = std::to_string(static_cast<long long>(std::time(nullptr)));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : diagnose::rulebook::builtin().diagnose(ev).findings) out.push_back(finding_json(f));
  return out;
}

std::optional<nlohmann::json> token_claims(const std::string& token) {
  auto insp = oauth::inspect_token(token, static_cast<std::int64_t>(std::time(nullptr)), "", 0);
  if (!insp.is_jwt) return std::nullopt;
  return insp.claims;
}

}  // namespace mh::cli
