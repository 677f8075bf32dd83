// Loading a rules file (format "mailharness.rules/1", src/diagnose/RULES.md) with json_doc:
// strict keys, and every error names file:line:column and the key.
#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/json_doc.hpp"
#include "core/phase.hpp"
#include "diagnose/rules_model.hpp"

namespace mh::diagnose::detail {
namespace {

constexpr std::string_view format_name = "mailharness.rules/1";

// A template split into literal text and {name} references; nullopt + *why when malformed.
struct part {
  bool is_name = false;
  std::string text;  // the literal text, or the placeholder's name
};

std::optional<std::vector<part>> split_template(std::string_view t, std::string* why) {
  std::vector<part> out;
  std::string lit;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if ((c == '{' || c == '}') && i + 1 < t.size() && t[i + 1] == c) {
      lit += c;
      ++i;
      continue;
    }
    if (c == '}') {
      *why = "unmatched '}' (write '}}' for a literal brace)";
      return std::nullopt;
    }
    if (c != '{') {
      lit += c;
      continue;
    }
    auto end = t.find('}', i);
    std::string_view name = end == std::string_view::npos ? std::string_view{} : t.substr(i + 1, end - i - 1);
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char x) {
      return (x >= 'a' && x <= 'z') || (x >= '0' && x <= '9') || x == '_';
    });
    if (!ok) {
      *why = "bad placeholder at offset " + std::to_string(i) + " (use {name} with a-z, 0-9, _; '{{' for a brace)";
      return std::nullopt;
    }
    if (!lit.empty()) out.push_back({false, std::move(lit)});
    lit.clear();
    out.push_back({true, std::string(name)});
    i = end;
  }
  if (!lit.empty()) out.push_back({false, std::move(lit)});
  return out;
}

std::vector<std::string_view> known_codes() {
  std::vector<std::string_view> v{"system_error"};
  for (int i = 0; i < 1000; ++i)
    if (auto n = errc_name(static_cast<errc>(i)); n != "unknown") v.push_back(n);
  return v;
}

std::vector<std::string_view> known_classes() {
  std::vector<std::string_view> v;
  for (auto c : {error_class::none, error_class::rejected, error_class::protocol, error_class::tls,
                 error_class::timeout, error_class::connect, error_class::local})
    v.push_back(class_name(c));
  return v;
}

class loader {
 public:
  loader(std::string_view text, const std::string& file) : d_(text, file) {}

  book run() {
    const auto& r = d_.root();
    d_.check_keys(r, "", {"format", "placeholders", "reply_sets", "findings", "rules"});
    if (d_.string_field(r, "", "format", true) != format_name)
      d_.fail("/format", "expected \"" + std::string(format_name) + "\"");
    load_placeholders(object_at(r, "", "placeholders"));
    load_reply_sets(object_at(r, "", "reply_sets"));
    const auto& f = object_at(r, "", "findings");
    for (auto it = f.begin(); it != f.end(); ++it) add_finding(it.key(), *it, pointer_append("/findings", it.key()));
    const auto& rules = d_.array_field(r, "", "rules");
    if (rules.is_null() || rules.empty()) d_.fail("", "a rules file needs a non-empty \"rules\" array");
    std::set<std::string> ids;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      rule ru = load_rule(rules[i], pointer_append("/rules", i), i);
      if (!ids.insert(ru.id).second)
        d_.fail(pointer_append(pointer_append("/rules", i), "id"), "duplicate rule id \"" + ru.id + "\"");
      b_.rules.push_back(std::move(ru));
    }
    for (std::size_t i = 0; i < b_.findings.size(); ++i)
      if (!used_.count(i)) d_.fail(finding_ptr_[i], "finding \"" + b_.findings[i].id + "\" is not used by any rule");
    std::stable_sort(b_.rules.begin(), b_.rules.end(), [](const rule& a, const rule& b) {
      if (a.priority != b.priority) return a.priority > b.priority;
      return a.when.specificity > b.when.specificity;
    });
    return std::move(b_);
  }

 private:
  const nlohmann::json& object_at(const nlohmann::json& j, const std::string& p, std::string_view key) {
    static const nlohmann::json empty = nlohmann::json::object();
    auto it = j.find(key);
    if (it == j.end()) return empty;
    if (!it->is_object()) d_.fail(pointer_append(p, key), "expected an object");
    return *it;
  }

  // A string, or an array of strings joined by newlines (for long texts).
  std::string text_field(const nlohmann::json& j, const std::string& p, std::string_view key, bool required) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return d_.string_field(j, p, key, required);
    std::string out;
    for (const auto& line : d_.strings_field(j, p, key)) out += (out.empty() ? "" : "\n") + line;
    return out;
  }

  // Strings or integers given as one value or an array.
  std::vector<std::string> names(const nlohmann::json& j, const std::string& p, std::string_view key,
                                 const std::vector<std::string_view>& allowed) {
    if (!j.contains(key)) return {};
    std::string kp = pointer_append(p, key);
    std::vector<std::string> v = j[std::string(key)].is_string()
                                     ? std::vector<std::string>{d_.string_field(j, p, key, true)}
                                     : d_.strings_field(j, p, key);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (allowed.empty() || std::find(allowed.begin(), allowed.end(), v[i]) != allowed.end()) continue;
      std::string msg = "unknown value \"" + v[i] + "\"";
      if (auto n = nearest(v[i], allowed); !n.empty()) msg += " (did you mean \"" + n + "\"?)";
      d_.fail(j[std::string(key)].is_string() ? kp : pointer_append(kp, i), msg);
    }
    return v;
  }

  std::vector<long long> numbers(const nlohmann::json& j, const std::string& p, std::string_view key) {
    std::vector<long long> out;
    auto it = j.find(key);
    if (it == j.end()) return out;
    std::string kp = pointer_append(p, key);
    if (it->is_number_integer()) return {it->get<long long>()};
    if (!it->is_array()) d_.fail(kp, "expected an integer or an array of integers");
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_number_integer()) d_.fail(pointer_append(kp, i), "expected an integer");
      out.push_back((*it)[i].get<long long>());
    }
    return out;
  }

  want yes_no(const nlohmann::json& j, const std::string& p, std::string_view key, int& specificity) {
    if (!j.contains(key)) return want::any;
    ++specificity;
    return d_.bool_field(j, p, key, false) ? want::yes : want::no;
  }

  void load_placeholders(const nlohmann::json& ph) {
    for (auto it = ph.begin(); it != ph.end(); ++it) {
      std::string p = pointer_append("/placeholders", it.key());
      d_.check_keys(*it, p, {"label", "default", "evidence"});
      placeholder x;
      x.label = d_.string_field(*it, p, "label", true);
      x.fallback = d_.string_field(*it, p, "default", false);
      x.evidence = d_.bool_field(*it, p, "evidence", false);
      b_.placeholders.emplace(it.key(), std::move(x));
    }
  }

  void load_reply_sets(const nlohmann::json& sets) {
    for (auto it = sets.begin(); it != sets.end(); ++it) {
      std::string p = pointer_append("/reply_sets", it.key());
      if (!it->is_array()) d_.fail(p, "expected an array of replies");
      reply_sets_[it.key()] = d_.strings_field(sets, "/reply_sets", it.key());
    }
  }

  // Validates the placeholders of a template at `p`; `quotes` allows evidence placeholders.
  std::string checked_template(std::string text, const std::string& p, bool quotes) {
    std::string why;
    auto parts = split_template(text, &why);
    if (!parts) d_.fail(p, why);
    for (const auto& x : *parts) {
      if (!x.is_name) continue;
      auto it = b_.placeholders.find(x.text);
      if (it == b_.placeholders.end()) {
        std::vector<std::string_view> known;
        for (const auto& [k, v] : b_.placeholders) known.push_back(k);
        std::string msg = "unknown placeholder {" + x.text + "}";
        if (auto n = nearest(x.text, known); !n.empty()) msg += " (did you mean {" + n + "}?)";
        d_.fail(p, msg + "; declare it under /placeholders");
      }
      if (it->second.evidence && !quotes)
        d_.fail(p, "{" + x.text + "} quotes evidence: allowed in \"observed\" and \"explanation\" only");
    }
    return text;
  }

  std::string confidence(const nlohmann::json& j, const std::string& p) {
    auto v = names(j, p, "confidence", {"high", "medium", "low"});
    if (v.size() != 1)
      d_.fail(j.contains("confidence") ? pointer_append(p, "confidence") : p,
              "expected \"confidence\": \"high\", \"medium\" or \"low\"");
    return v.front();
  }

  std::size_t add_finding(const std::string& id, const nlohmann::json& j, const std::string& p) {
    d_.check_keys(j, p, {"id", "title", "step", "explanation", "remediation", "source", "confidence"});
    for (const auto& f : b_.findings)
      if (f.id == id) d_.fail(p, "duplicate finding id \"" + id + "\"");
    finding_template f;
    f.id = id;
    auto tmpl = [&](std::string_view key, bool quotes) {
      return checked_template(text_field(j, p, key, true), pointer_append(p, key), quotes);
    };
    f.title = tmpl("title", false);
    f.step = tmpl("step", false);
    f.explanation = tmpl("explanation", true);
    f.remediation = tmpl("remediation", false);
    f.source = d_.string_field(j, p, "source", true);
    f.confidence = confidence(j, p);
    b_.findings.push_back(std::move(f));
    finding_ptr_.push_back(p);
    return b_.findings.size() - 1;
  }

  std::size_t finding_ref(const nlohmann::json& j, const std::string& p) {
    if (j.is_object()) return add_finding(d_.string_field(j, p, "id", true), j, p);
    if (!j.is_string()) d_.fail(p, "expected a finding id or a finding object");
    std::string id = j.get<std::string>();
    std::vector<std::string_view> ids;
    for (std::size_t i = 0; i < b_.findings.size(); ++i) {
      if (b_.findings[i].id == id) return i;
      ids.push_back(b_.findings[i].id);
    }
    std::string msg = "unknown finding \"" + id + "\"";
    if (auto n = nearest(id, ids); !n.empty()) msg += " (did you mean \"" + n + "\"?)";
    d_.fail(p, msg);
  }

  reply_condition load_reply(const nlohmann::json& j, const std::string& p, int& specificity) {
    d_.check_keys(j, p, {"exact", "set", "prefix", "contains", "regex"});
    reply_condition r;
    r.exact = names(j, p, "exact", {});
    if (j.contains("set")) {
      std::string s = d_.string_field(j, p, "set", true);
      auto it = reply_sets_.find(s);
      if (it == reply_sets_.end()) d_.fail(pointer_append(p, "set"), "unknown reply set \"" + s + "\"");
      if (!r.exact.empty()) d_.fail(p, "give \"exact\" or \"set\", not both");
      r.exact = it->second;
    }
    r.prefix = d_.string_field(j, p, "prefix", false);
    r.contains = d_.string_field(j, p, "contains", false);
    if (j.contains("regex")) {
      std::string re = d_.string_field(j, p, "regex", true);
      try {
        r.regex.emplace(re, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        d_.fail(pointer_append(p, "regex"), "bad regex \"" + re + "\": " + e.what());
      }
    }
    if (j.empty()) d_.fail(p, "an empty reply condition");
    specificity += static_cast<int>(j.size());
    return r;
  }

  condition load_match(const nlohmann::json& j, const std::string& p) {
    d_.check_keys(j, p,
                  {"phase", "protocol", "error_class", "error_code", "reply", "aadsts", "oauth_error", "http_status",
                   "token_error", "app_only", "claims", "values"});
    condition c;
    std::vector<std::string_view> phases(phase_names.begin(), phase_names.end());
    c.phases = names(j, p, "phase", phases);
    c.protocols = names(j, p, "protocol", {"imap", "pop3", "smtp"});
    c.classes = names(j, p, "error_class", known_classes());
    c.codes = names(j, p, "error_code", known_codes());
    c.oauth_errors = names(j, p, "oauth_error", {});
    c.aadsts = numbers(j, p, "aadsts");
    c.http_status = numbers(j, p, "http_status");
    for (const auto* k : {"phase", "protocol", "error_class", "error_code", "oauth_error", "aadsts", "http_status"})
      c.specificity += j.contains(k);
    c.token_error = yes_no(j, p, "token_error", c.specificity);
    c.app_only = yes_no(j, p, "app_only", c.specificity);
    if (j.contains("reply")) c.reply = load_reply(j["reply"], pointer_append(p, "reply"), c.specificity);
    if (j.contains("claims")) {
      const auto& cj = j["claims"];
      std::string cp = pointer_append(p, "claims");
      d_.check_keys(cj, cp,
                    {"present", "exchange_audience", "has_roles", "has_protocol_role", "has_scp",
                     "has_protocol_scope", "tenant_matches", "expired", "user_matches"});
      auto& k = c.claims;
      k.present = yes_no(cj, cp, "present", c.specificity);
      k.exchange_audience = yes_no(cj, cp, "exchange_audience", c.specificity);
      k.has_roles = yes_no(cj, cp, "has_roles", c.specificity);
      k.has_protocol_role = yes_no(cj, cp, "has_protocol_role", c.specificity);
      k.has_scp = yes_no(cj, cp, "has_scp", c.specificity);
      k.has_protocol_scope = yes_no(cj, cp, "has_protocol_scope", c.specificity);
      k.tenant_matches = yes_no(cj, cp, "tenant_matches", c.specificity);
      k.expired = yes_no(cj, cp, "expired", c.specificity);
      k.user_matches = yes_no(cj, cp, "user_matches", c.specificity);
    }
    const auto& vals = object_at(j, p, "values");
    for (auto it = vals.begin(); it != vals.end(); ++it) {
      c.values[it.key()] = d_.string_field(vals, pointer_append(p, "values"), it.key(), true);
      ++c.specificity;
    }
    return c;
  }

  rule load_rule(const nlohmann::json& j, const std::string& p, std::size_t order) {
    d_.check_keys(j, p, {"id", "priority", "match", "findings", "confidence", "observed", "distinguish"});
    rule r;
    r.id = d_.string_field(j, p, "id", true);
    r.order = order;
    r.priority = static_cast<int>(d_.int_field(j, p, "priority", 0, -1000000, 1000000));
    if (!j.contains("match")) d_.fail(p, "missing required key \"match\"");
    r.when = load_match(j["match"], pointer_append(p, "match"));
    const auto& fs = d_.array_field(j, p, "findings");
    if (fs.is_null() || fs.empty()) d_.fail(p, "a rule needs a non-empty \"findings\" array");
    for (std::size_t i = 0; i < fs.size(); ++i) {
      std::size_t idx = finding_ref(fs[i], pointer_append(pointer_append(p, "findings"), i));
      used_.insert(idx);
      r.findings.push_back(idx);
    }
    if (j.contains("confidence")) {
      r.confidence = names(j, p, "confidence", {"high", "medium", "low"});
      if (j["confidence"].is_string()) r.confidence.resize(r.findings.size(), r.confidence.front());
      if (r.confidence.size() != r.findings.size())
        d_.fail(pointer_append(p, "confidence"), "give one confidence, or one per finding");
    }
    r.observed = checked_template(text_field(j, p, "observed", false), pointer_append(p, "observed"), true);
    r.distinguish = checked_template(text_field(j, p, "distinguish", false), pointer_append(p, "distinguish"), false);
    if (r.findings.size() > 1 && r.distinguish.empty())
      d_.fail(p, "a rule with several candidate findings needs \"distinguish\": what tells them apart");
    if (r.findings.size() > 1 &&
        (r.confidence.empty() || std::find(r.confidence.begin(), r.confidence.end(), "high") != r.confidence.end()))
      d_.fail(j.contains("confidence") ? pointer_append(p, "confidence") : p,
              "candidates are never certain: give \"confidence\" as \"medium\" or \"low\" (one, or one per finding)");
    return r;
  }

  json_doc d_;
  book b_;
  std::map<std::string, std::vector<std::string>> reply_sets_;
  std::set<std::size_t> used_;
  std::vector<std::string> finding_ptr_;
};

}  // namespace

book parse_book(std::string_view text, const std::string& file) { return loader(text, file).run(); }

std::string fill(std::string_view tmpl, const book& b, const std::map<std::string, std::string>& values) {
  std::string why, out;
  auto parts = split_template(tmpl, &why);
  if (!parts) return std::string(tmpl);  // validated at load time; unreachable
  for (const auto& x : *parts) {
    if (!x.is_name) {
      out += x.text;
      continue;
    }
    auto v = values.find(x.text);
    if (v != values.end() && !v->second.empty()) {
      out += v->second;
      continue;
    }
    auto ph = b.placeholders.find(x.text);
    if (ph != b.placeholders.end() && !ph->second.fallback.empty())
      out += ph->second.fallback;
    else
      out += "<" + (ph != b.placeholders.end() ? ph->second.label : x.text) + ">";
  }
  return out;
}

}  // namespace mh::diagnose::detail
