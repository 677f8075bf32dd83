// Evaluation of the rules against one piece of evidence (contract in diagnose.hpp).
#include "diagnose/diagnose.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>
#include <vector>

#include "core/files.hpp"
#include "core/json_doc.hpp"
#include "core/text.hpp"
#include "diagnose/rules_model.hpp"
#include "oauth/token_inspect.hpp"

namespace mh::diagnose {
namespace detail {
extern const std::string_view builtin_rules_json;  // generated from rules.json
}  // namespace detail

namespace {
using namespace detail;

// What each protocol needs in the token (exchange-facts §7.3, §8).
struct protocol_info {
  std::string_view name, display, role, scope;
};
constexpr protocol_info protocols[] = {
    {"imap", "IMAP", "IMAP.AccessAsApp", "IMAP.AccessAsUser.All"},
    {"pop3", "POP3", "POP.AccessAsApp", "POP.AccessAsUser.All"},
    {"smtp", "SMTP", "SMTP.SendAsApp", "SMTP.Send"},
};

const protocol_info* find_protocol(std::string_view name) {
  for (const auto& p : protocols)
    if (p.name == name) return &p;
  return nullptr;
}

// The reply as rules match it: IMAP without its tag, SMTP without the trailing
// "[host timestamp id]" suffix, no trailing blanks; lines stay separated by '\n'.
std::string normalise_reply(std::string_view proto, std::string_view reply) {
  std::string out;
  std::size_t start = 0;
  while (start <= reply.size()) {
    std::size_t nl = reply.find('\n', start);
    std::string line(reply.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (proto == "imap" && !line.empty() && line[0] != '*' && line[0] != '+') {
      auto sp = line.find(' ');
      line = sp == std::string::npos ? std::string() : line.substr(sp + 1);
    }
    if (proto == "smtp" && !line.empty() && line.back() == ']') {
      auto open = line.rfind(" [");
      if (open != std::string::npos && line.find(']', open) == line.size() - 1) line.resize(open);
    }
    out += (start ? "\n" : "") + line;
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return out;
}

// Quoted evidence passes through this: anything shaped like a bearer token or a SASL
// XOAUTH2 payload is cut out, whatever the caller's redaction already did. Leftmost match
// first, then the first alternative that matches there, each run taken greedily; the same as
//   eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}(\.[A-Za-z0-9_-]*)?   a JWT
//   |dXNlcj[A-Za-z0-9+/=]{8,}                                   base64 of "user=…" (XOAUTH2)
//   |[Bb]earer [^\s\x01]{8,}                                     a bearer credential
// but in linear time: std::regex recurses once per character and a long server reply
// overflowed the stack (found by fuzz_rules).
std::string scrub(const std::string& text) {
  const std::size_t n = text.size();
  auto b64url = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  auto b64 = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '='; };
  auto credential = [](char c) {
    return c != ' ' && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != '\x01';
  };
  // run_end[i]: the end of the run of `in` characters starting at i (i itself when none).
  auto runs = [&](auto in) {
    std::vector<std::size_t> end(n + 1, n);
    for (std::size_t i = n; i-- > 0;) end[i] = in(text[i]) ? end[i + 1] : i;
    return end;
  };
  const auto url_end = runs(b64url), b64_end = runs(b64), cred_end = runs(credential);
  auto starts = [&](std::size_t i, std::string_view w) { return text.compare(i, w.size(), w) == 0; };
  // The end of a match starting at i, or 0 for none.
  auto match_at = [&](std::size_t i) -> std::size_t {
    if (starts(i, "eyJ")) {
      std::size_t a = url_end[i + 3];
      if (a >= i + 7 && a < n && text[a] == '.') {
        std::size_t b = url_end[a + 1];
        if (b >= a + 5) return b < n && text[b] == '.' ? url_end[b + 1] : b;
      }
    }
    if (starts(i, "dXNlcj") && b64_end[i + 6] >= i + 14) return b64_end[i + 6];
    if ((starts(i, "Bearer ") || starts(i, "bearer ")) && cred_end[i + 7] >= i + 15) return cred_end[i + 7];
    return 0;
  };
  std::string out;
  std::size_t copied = 0;
  for (std::size_t i = 0; i < n;) {
    if (std::size_t e = match_at(i)) {
      out.append(text, copied, i - copied).append("<redacted>");
      i = copied = e;
    } else {
      ++i;
    }
  }
  return out.append(text, copied, std::string::npos);
}

std::string claim_string(const nlohmann::json& c, const char* name) {
  auto it = c.find(name);
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> claim_words(const nlohmann::json& c, const char* name) {
  std::vector<std::string> out;
  auto it = c.find(name);
  if (it == c.end()) return out;
  if (it->is_array()) {
    for (const auto& x : *it)
      if (x.is_string()) out.push_back(x.get<std::string>());
  } else if (it->is_string()) {
    std::string s = it->get<std::string>();
    for (std::size_t i = 0; i < s.size();) {
      auto sp = s.find(' ', i);
      if (sp == std::string::npos) sp = s.size();
      if (sp > i) out.push_back(s.substr(i, sp - i));
      i = sp + 1;
    }
  }
  return out;
}

bool has_word(const std::vector<std::string>& words, std::string_view w) {
  return std::any_of(words.begin(), words.end(), [&](const std::string& x) { return iequals(x, w); });
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::optional<long long> to_number(const std::string& s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Everything the rules can test, derived once from the evidence.
struct facts {
  std::string reply;
  std::map<std::string, std::string> values;
  bool claims_present = false;
  std::optional<bool> exchange_audience, has_roles, has_protocol_role, has_scp, has_protocol_scope, tenant_matches,
      expired, user_matches;
};

void set_default(std::map<std::string, std::string>& v, const std::string& key, const std::string& value) {
  if (v[key].empty()) v[key] = value;
}

void claim_facts(const evidence& e, const protocol_info* proto, facts& f) {
  auto& v = f.values;
  if (!e.claims || !e.claims->is_object()) return;
  const auto& c = *e.claims;
  f.claims_present = true;
  auto roles = claim_words(c, "roles"), scp = claim_words(c, "scp"), auds = claim_words(c, "aud");
  if (!auds.empty())
    f.exchange_audience =
        std::any_of(auds.begin(), auds.end(), [](const std::string& a) { return oauth::is_exchange_audience(a); });
  f.has_roles = !roles.empty();
  f.has_scp = !scp.empty();
  if (proto) {
    f.has_protocol_role = has_word(roles, proto->role);
    f.has_protocol_scope = has_word(scp, proto->scope);
  }
  std::string tid = claim_string(c, "tid");
  if (!tid.empty() && !v["tenant_id"].empty()) f.tenant_matches = iequals(tid, v["tenant_id"]);
  auto now = to_number(v["now"]);
  if (auto it = c.find("exp"); it != c.end() && it->is_number() && now) {
    f.expired = it->get<long long>() <= *now;
  }
  std::string upn = claim_string(c, "upn");
  if (upn.empty()) upn = claim_string(c, "unique_name");
  if (upn.empty()) upn = claim_string(c, "preferred_username");
  if (!upn.empty() && !v["user"].empty()) f.user_matches = iequals(upn, v["user"]);
  if (auto it = c.find("exp"); it != c.end() && it->is_number())
    v["token_expires"] = format_utc(it->get<long long>(), "%Y-%m-%d %H:%M:%S UTC");
  v["aud"] = join(auds);
  v["roles"] = roles.empty() ? "none" : join(roles);
  v["scp"] = scp.empty() ? "none" : join(scp);
  v["token_tenant"] = tid;
  v["upn"] = upn;
  set_default(v, "client_id", claim_string(c, "appid"));
  set_default(v, "user", upn);
  // The app-only token's oid is the Enterprise application's (service principal's) Object ID.
  if (e.app_only) set_default(v, "sp_object_id", claim_string(c, "oid"));
}

facts derive(const evidence& e) {
  facts f;
  const protocol_info* proto = find_protocol(e.protocol);
  f.reply = normalise_reply(e.protocol, e.reply);
  auto& v = f.values;
  v = e.values;
  claim_facts(e, proto, f);
  set_default(v, "tenant", v["tenant_id"]);
  set_default(v, "tenant", v["token_tenant"]);
  set_default(v, "mailbox", v["user"]);
  std::string authority = v["authority"];
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  v["authority"] = authority;
  v["protocol"] = proto ? std::string(proto->display) : std::string();
  v["role"] = proto ? std::string(proto->role) : std::string();
  v["scope"] = proto ? std::string(proto->scope) : std::string();
  v["principal"] = e.app_only ? v["sp_object_id"] : v["user"];
  v["phase"] = e.phase;
  v["reply"] = scrub(e.reply);
  std::string answer = v["reply"];
  if (const auto& t = e.token_error) {
    v["aadsts"] = t->code ? std::to_string(t->code) : std::string();
    v["oauth_error"] = t->error;
    v["http_status"] = t->http_status ? std::to_string(t->http_status) : std::string();
    v["aad_description"] = scrub(t->description);
    if (answer.empty())
      answer = (t->code ? "AADSTS" + std::to_string(t->code) + " " : std::string()) + t->error +
               (t->http_status ? " (HTTP " + std::to_string(t->http_status) + ")" : std::string()) +
               (t->description.empty() ? std::string() : ": " + v["aad_description"]);
  }
  if (answer.empty()) answer = e.error_code.empty() ? e.error_class : e.error_code;
  v["answer"] = answer;
  return f;
}

bool listed(const std::vector<std::string>& list, const std::string& v) {
  return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
}

template <class T>
bool listed_number(const std::vector<long long>& list, const std::optional<aad_evidence>& t, T aad_evidence::*field) {
  if (list.empty()) return true;
  return t && std::find(list.begin(), list.end(), static_cast<long long>((*t).*field)) != list.end();
}

bool holds(want w, std::optional<bool> fact) {
  if (w == want::any) return true;
  return fact && *fact == (w == want::yes);
}

bool reply_holds(const reply_condition& r, const std::string& reply) {
  if (!r.exact.empty() && std::find(r.exact.begin(), r.exact.end(), reply) == r.exact.end()) return false;
  if (!r.prefix.empty() && reply.compare(0, r.prefix.size(), r.prefix) != 0) return false;
  if (!r.contains.empty() && reply.find(r.contains) == std::string::npos) return false;
  // std::regex recurses per character: a regex sees at most the first max_regex_input bytes
  // of the reply (Exchange's replies are far shorter; a longer one overflowed the stack).
  constexpr std::size_t max_regex_input = 2048;
  if (!r.regex) return true;
  if (reply.size() <= max_regex_input) return std::regex_search(reply, *r.regex);
  return std::regex_search(reply.begin(), reply.begin() + max_regex_input, *r.regex);
}

bool matches(const condition& c, const evidence& e, const facts& f) {
  if (!listed(c.phases, e.phase) || !listed(c.protocols, e.protocol) || !listed(c.classes, e.error_class) ||
      !listed(c.codes, e.error_code))
    return false;
  if (!c.oauth_errors.empty() && !(e.token_error && listed(c.oauth_errors, e.token_error->error))) return false;
  if (!listed_number(c.aadsts, e.token_error, &aad_evidence::code) ||
      !listed_number(c.http_status, e.token_error, &aad_evidence::http_status))
    return false;
  if (!holds(c.token_error, e.token_error.has_value()) || !holds(c.app_only, e.app_only)) return false;
  if (c.reply && !reply_holds(*c.reply, f.reply)) return false;
  const auto& k = c.claims;
  if (!holds(k.present, f.claims_present) || !holds(k.exchange_audience, f.exchange_audience) ||
      !holds(k.has_roles, f.has_roles) || !holds(k.has_protocol_role, f.has_protocol_role) ||
      !holds(k.has_scp, f.has_scp) || !holds(k.has_protocol_scope, f.has_protocol_scope) ||
      !holds(k.tenant_matches, f.tenant_matches) || !holds(k.expired, f.expired) ||
      !holds(k.user_matches, f.user_matches))
    return false;
  for (const auto& [name, want_value] : c.values) {
    auto it = f.values.find(name);
    if (it == f.values.end() || it->second != want_value) return false;
  }
  return true;
}

bool passed(const evidence& e) {
  return (e.error_class.empty() || e.error_class == "none") && (e.error_code.empty() || e.error_code == "ok") &&
         !e.token_error;
}

}  // namespace

rulebook rulebook::parse(std::string_view text, const std::string& file) {
  return rulebook(std::make_shared<const book>(parse_book(text, file)));
}

rulebook rulebook::builtin() {
  static const rulebook b = parse(builtin_rules_json, "src/diagnose/rules.json");
  return b;
}

rulebook rulebook::load(const std::string& path) {
  std::string why;
  auto text = read_file_bounded(path, 4u << 20, &why);
  if (!text) throw config_error(path, 0, 0, {}, why);
  return parse(*text, path);
}

std::size_t rulebook::size() const { return book_->rules.size(); }

std::vector<std::string> rulebook::rule_ids() const {
  std::vector<std::string> out;
  for (const auto& r : book_->rules) out.push_back(r.id);
  return out;
}

diagnosis rulebook::diagnose(const evidence& e) const {
  diagnosis d;
  if (passed(e)) return d;
  facts f = derive(e);
  const book& b = *book_;
  for (const auto& r : b.rules) {
    if (!matches(r.when, e, f)) continue;
    std::string observed = fill(r.observed, b, f.values);
    for (std::size_t i = 0; i < r.findings.size(); ++i) {
      const finding_template& t = b.findings[r.findings[i]];
      finding x;
      x.id = t.id;
      x.title = fill(t.title, b, f.values);
      x.step = fill(t.step, b, f.values);
      std::string why = fill(t.explanation, b, f.values);
      x.explanation = observed.empty() ? why : observed + " " + why;
      x.remediation = fill(t.remediation, b, f.values);
      x.source = t.source;
      x.confidence = r.confidence.empty() ? t.confidence : r.confidence[i];
      x.distinguish = fill(r.distinguish, b, f.values);
      x.rule = r.id;
      d.findings.push_back(std::move(x));
    }
    break;
  }
  return d;
}

nlohmann::json to_json(const finding& f) {
  nlohmann::json j = {{"id", f.id},
                      {"title", f.title},
                      {"step", f.step},
                      {"explanation", f.explanation},
                      {"remediation", f.remediation},
                      {"source", f.source},
                      {"confidence", f.confidence},
                      {"rule", f.rule}};
  if (!f.distinguish.empty()) j["distinguish"] = f.distinguish;
  return j;
}

nlohmann::json to_json(const diagnosis& d) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& f : d.findings) a.push_back(to_json(f));
  return a;
}

}  // namespace mh::diagnose
