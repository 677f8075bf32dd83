#include "oauth/token_inspect.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/text.hpp"
#include "jwt/jwt.hpp"

namespace mh::oauth {
namespace {

bool has_word(const std::vector<std::string>& words, std::string_view w) {
  for (const auto& x : words)
    if (iequals(x, w)) return true;
  return false;
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string duration_text(std::int64_t s) {
  std::int64_t a = s < 0 ? -s : s;
  std::string t = a >= 3600 ? std::to_string(a / 3600) + " h " + std::to_string(a % 3600 / 60) + " min"
                  : a >= 60 ? std::to_string(a / 60) + " min " + std::to_string(a % 60) + " s"
                            : std::to_string(a) + " s";
  return t;
}

bool looks_like_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// A NumericDate claim (exp, nbf) in seconds; nullopt when it is not a number. Clamped to
// +-2^53 s (far past any real date) so that a hostile value (1e300, INT64_MIN) neither
// overflows the conversion nor the arithmetic with `now`.
std::optional<std::int64_t> numeric_date(const nlohmann::json& c, const char* key) {
  auto it = c.find(key);
  if (it == c.end() || !it->is_number()) return std::nullopt;
  constexpr std::int64_t limit = std::int64_t{1} << 53;
  if (it->is_number_float())
    return static_cast<std::int64_t>(
        std::clamp(it->get<double>(), -static_cast<double>(limit), static_cast<double>(limit)));
  if (it->is_number_unsigned())
    return static_cast<std::int64_t>(std::min(it->get<std::uint64_t>(), std::uint64_t{limit}));
  return std::clamp(it->get<std::int64_t>(), -limit, limit);
}

}  // namespace

bool is_exchange_audience(std::string_view aud) {
  std::string a = ascii_lower(aud);
  while (!a.empty() && a.back() == '/') a.pop_back();
  return a == "https://outlook.office365.com" || a == "https://outlook.office.com" ||
         a == "https://ps.outlook.com" || a == "00000002-0000-0ff1-ce00-000000000000";
}

bool token_inspection::all_ok() const {
  if (!is_jwt) return false;
  for (const auto& c : checks)
    if (!c.ok) return false;
  return true;
}

nlohmann::json token_inspection::to_json() const {
  nlohmann::json j = {{"jwt", is_jwt}};
  if (!is_jwt) {
    j["opaque"] = opaque_reason;
    return j;
  }
  j["header"] = header;
  j["claims"] = claims;
  j["checks"] = nlohmann::json::array();
  for (const auto& c : checks) j["checks"].push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  j["protocols"] = protocols;
  if (seconds_left) j["seconds_left"] = *seconds_left;
  return j;
}

token_inspection inspect_token(std::string_view token, std::int64_t now,
                               const std::string& expected_tenant, std::int64_t margin_s) {
  token_inspection r;
  std::string why;
  auto parts = jwt::decode(token, &why);
  if (!parts) {
    r.opaque_reason = "not a JWT (" + why + "): an opaque token, as Microsoft issues for personal "
                      "accounts; only the server can check it";
    return r;
  }
  r.is_jwt = true;
  r.header = parts->header;
  r.claims = parts->claims;
  const auto& c = r.claims;

  // audience
  std::vector<std::string> auds;
  if (c.contains("aud") && c["aud"].is_string()) auds.push_back(c["aud"].get<std::string>());
  if (c.contains("aud") && c["aud"].is_array())
    for (const auto& a : c["aud"])
      if (a.is_string()) auds.push_back(a.get<std::string>());
  bool aud_ok = false;
  for (const auto& a : auds) aud_ok |= is_exchange_audience(a);
  r.checks.push_back({"audience", aud_ok,
                      auds.empty() ? "no aud claim"
                      : aud_ok     ? join(auds) + " is an Exchange Online resource"
                                   : join(auds) + " is not an Exchange Online resource (IMAP, POP and "
                                                  "SMTP need https://outlook.office365.com)"});

  // permissions: roles (app-only) or scp (delegated)
  std::vector<std::string> roles, scp;
  if (c.contains("roles") && c["roles"].is_array())
    for (const auto& x : c["roles"])
      if (x.is_string()) roles.push_back(x.get<std::string>());
  if (c.contains("scp") && c["scp"].is_string()) {
    std::istringstream in(c["scp"].get<std::string>());
    for (std::string w; in >> w;) scp.push_back(w);
  }
  if (has_word(roles, "IMAP.AccessAsApp") || has_word(scp, "IMAP.AccessAsUser.All")) r.protocols.push_back("IMAP");
  if (has_word(roles, "POP.AccessAsApp") || has_word(scp, "POP.AccessAsUser.All")) r.protocols.push_back("POP3");
  if (has_word(roles, "SMTP.SendAsApp") || has_word(scp, "SMTP.Send")) r.protocols.push_back("SMTP");
  std::string granted = (roles.empty() ? "" : "roles [" + join(roles) + "]") +
                        (scp.empty() ? "" : std::string(roles.empty() ? "" : ", ") + "scp [" + join(scp) + "]");
  if (granted.empty()) granted = "neither roles nor scp";
  r.checks.push_back({"permissions", !r.protocols.empty(),
                      r.protocols.empty() ? granted + ": no IMAP, POP or SMTP permission"
                                          : granted + ": good for " + join(r.protocols)});

  // tenant
  if (!expected_tenant.empty()) {
    std::string tid = c.contains("tid") && c["tid"].is_string() ? c["tid"].get<std::string>() : "";
    if (!looks_like_guid(expected_tenant)) {
      r.checks.push_back({"tenant", true, "tid " + tid + " (not compared: --tenant " + expected_tenant +
                                              " is not a tenant ID)"});
    } else {
      bool ok = iequals(tid, expected_tenant);
      r.checks.push_back({"tenant", ok, ok ? "tid " + tid + " matches"
                                           : "tid " + (tid.empty() ? std::string("(none)") : tid) +
                                                 " is not the expected tenant " + expected_tenant});
    }
  }

  // lifetime
  if (auto exp_claim = numeric_date(c, "exp")) {
    std::int64_t exp = *exp_claim;
    auto nbf = numeric_date(c, "nbf");
    r.seconds_left = exp - now;
    std::string at = format_utc(exp, "%Y-%m-%d %H:%M:%S UTC");
    if (exp <= now) {
      r.checks.push_back({"lifetime", false, "expired at " + at + " (" + duration_text(now - exp) + " ago)"});
    } else if (nbf && *nbf > now) {
      r.checks.push_back({"lifetime", false, "not valid before " + format_utc(*nbf, "%Y-%m-%d %H:%M:%S UTC")});
    } else {
      std::string d = "expires " + at + " (in " + duration_text(exp - now) + ")";
      if (exp - now <= margin_s) d += "; warning: under the refresh margin, the SMTP HVE endpoint rejects it";
      r.checks.push_back({"lifetime", true, d});  // a warning, not a failure: IMAP/POP accept it
    }
  } else {
    r.checks.push_back({"lifetime", false, "no exp claim"});
  }
  return r;
}

}  // namespace mh::oauth
