// The parsed form of a rules file (private to src/diagnose). rules_load.cpp builds it from
// JSON and validates everything it can up front (names, regexes, placeholders), so that
// evaluation in diagnose.cpp cannot fail.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace mh::diagnose::detail {

// A yes/no condition that may be absent from a rule.
enum class want { any, yes, no };

struct reply_condition {
  std::vector<std::string> exact;  // the normalised reply equals one of these ("exact", "set")
  std::string prefix, contains;
  std::optional<std::regex> regex;  // regex_search on the normalised reply
};

struct claims_condition {
  want present = want::any;             // a token was obtained and decoded
  want exchange_audience = want::any;   // aud is an Exchange Online resource
  want has_roles = want::any;           // a non-empty `roles` claim
  want has_protocol_role = want::any;   // roles hold the protocol's *.AccessAsApp / SMTP.SendAsApp
  want has_scp = want::any;             // a non-empty `scp` claim
  want has_protocol_scope = want::any;  // scp holds the protocol's delegated scope
  want tenant_matches = want::any;      // tid == values["tenant_id"]
  want expired = want::any;             // exp <= values["now"]
  want user_matches = want::any;        // upn / unique_name == values["user"]
};

struct condition {
  std::vector<std::string> phases, protocols, classes, codes, oauth_errors;
  std::vector<long long> aadsts, http_status;
  want token_error = want::any;
  want app_only = want::any;
  std::optional<reply_condition> reply;
  claims_condition claims;
  std::map<std::string, std::string> values;
  int specificity = 0;  // number of conditions: more specific rules are tried first
};

struct finding_template {
  std::string id, title, step, explanation, remediation, source, confidence;
};

struct rule {
  std::string id;
  int priority = 0;
  std::size_t order = 0;  // position in the file
  condition when;
  std::vector<std::size_t> findings;    // indexes into book::findings, best first
  std::vector<std::string> confidence;  // per candidate; empty = each finding's own
  std::string observed;                 // evidence-specific text before the explanation
  std::string distinguish;
};

struct placeholder {
  std::string label;      // shown as <label> while the value is unknown
  std::string fallback;   // used when the value is unknown, if set
  bool evidence = false;  // quotes evidence: allowed in `observed`/`explanation` only
};

struct book {
  std::vector<finding_template> findings;
  std::vector<rule> rules;  // evaluation order
  std::map<std::string, placeholder, std::less<>> placeholders;
};

// Parses and validates a rules file; throws mh::config_error.
book parse_book(std::string_view text, const std::string& file);

// Fills `{name}` from `values` (unknown -> fallback or <label>); `{{` and `}}` are braces.
std::string fill(std::string_view tmpl, const book& b, const std::map<std::string, std::string>& values);

}  // namespace mh::diagnose::detail
