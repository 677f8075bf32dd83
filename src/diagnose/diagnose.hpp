// The diagnosis engine (DESIGN §3 src/diagnose, issue 6): evidence of one failed login or
// token request -> the missing setup step, the exact command that fixes it, a source and a
// confidence. The rules are data (src/diagnose/rules.json, format "mailharness.rules/1",
// documented in src/diagnose/RULES.md), compiled into the binary.
//
// Contract:
// - The engine sees only what a real tenant shows: the wire reply, the token endpoint's
//   HTTP/AADSTS answer and the decoded token claims. It never sees a tenant model.
// - Evidence never holds a token or a secret. Quoted evidence (the reply, the AADSTS
//   description) may appear in an explanation, never in a remediation or title.
// - diagnose() never throws. A passing login (no error class/code, no token error) gives no
//   finding. A failure no rule recognises gives the rules file's catch-all finding (the
//   built-in one: "unrecognised-answer", low confidence, quoting the answer).
// - One rule decides: rules are tried by priority (higher first), then specificity (more
//   conditions first), then file order; the first whose conditions all hold gives its
//   findings. Several findings = candidates, best first, each with `distinguish`: what tells
//   them apart.
// - Remediation templates are filled from `values` (and from the claims: appid, the app-only
//   token's oid = the Enterprise application's Object ID, tid); a value still unknown shows
//   as <its label>, never as {name}.
// - rulebook::parse throws mh::config_error naming file:line:column and the key (unknown key,
//   bad regex, unknown placeholder, unknown phase/class/code, missing finding, ...).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mh::diagnose {

// The token endpoint said no (exchange-facts §5.7).
struct aad_evidence {
  long http_status = 0;
  std::string error;        // OAuth "error": invalid_client, invalid_grant, ...
  long long code = 0;       // AADSTS number (0 = none)
  std::string description;  // error_description without the Trace ID trailer
};

struct evidence {
  std::string protocol;                     // "imap" | "pop3" | "smtp" | "" (token only)
  std::string phase;                        // failing phase name (src/core/phase.hpp names, "token")
  std::string error_class, error_code;      // mh::class_name / code_name strings
  std::string reply;                        // the exact final server reply (may be empty)
  std::optional<aad_evidence> token_error;  // the token endpoint said no
  std::optional<nlohmann::json> claims;     // decoded access-token claims, if a token was obtained
  bool app_only = true;
  // Values to fill remediation templates; empty ones show as <placeholder>. Conventional
  // names: tenant (ID or domain), tenant_id (GUID, the expected `tid`), client_id, mailbox,
  // user (the SASL user=), authority (host URL, default https://login.microsoftonline.com),
  // now (unix seconds, for `exp`), sp_object_id, sasl_form ("initial-response" | "two-step"),
  // app_authenticated_elsewhere ("true" when the same app's token logged in to another mailbox
  // or protocol in this run: its service principal is registered). Rules may also match on
  // them (`values` condition). Never put a secret here.
  std::map<std::string, std::string> values;
};

struct finding {
  std::string id, title, step, explanation, remediation, source;
  std::string confidence;   // "high" | "medium" | "low"
  std::string distinguish;  // when several candidates: what tells them apart
  std::string rule;         // id of the rule that produced it
};

struct diagnosis {
  std::vector<finding> findings;  // best first; several = candidates
  bool empty() const { return findings.empty(); }
};

namespace detail {
struct book;
}

class rulebook {
 public:
  static rulebook builtin();  // the compiled-in rules.json (parsed once)
  // Throws mh::config_error (file:line:column: /pointer: message).
  static rulebook parse(std::string_view text, const std::string& file);
  // Reads and parses a rules file; config_error also when it cannot be read.
  static rulebook load(const std::string& path);

  diagnosis diagnose(const evidence& e) const;
  std::size_t size() const;                   // number of rules
  std::vector<std::string> rule_ids() const;  // in evaluation order

 private:
  explicit rulebook(std::shared_ptr<const detail::book> b) : book_(std::move(b)) {}
  std::shared_ptr<const detail::book> book_;
};

// {"id", "title", "step", "explanation", "remediation", "source", "confidence",
//  "distinguish" (only when set), "rule"}
nlohmann::json to_json(const finding& f);
nlohmann::json to_json(const diagnosis& d);  // array of findings

}  // namespace mh::diagnose
