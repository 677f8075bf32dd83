// Tenant file loading (JSON with comments) and writing. The format is documented in
// fakes/tenant/TENANT.md; every error names file, line, column and field.
#include <chrono>
#include <ctime>
#include <algorithm>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "jwt/jwt.hpp"
#include "mail/faults.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {
namespace {

const std::vector<std::string_view> app_permissions = {"IMAP.AccessAsApp", "POP.AccessAsApp",
                                                       "SMTP.SendAsApp"};
const std::vector<std::string_view> delegated_permissions = {
    "IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send", "offline_access", "openid",
    "profile", "email", "User.Read"};

unix_time now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "never", "+30d", "-1d", "+12h", "+90s", an ISO 8601 UTC time, or a unix time number.
unix_time parse_expiry(const json_doc& d, const nlohmann::json& v, const std::string& ptr) {
  if (v.is_number_integer()) return v.get<unix_time>();
  if (!v.is_string()) d.fail(ptr, "expected \"never\", \"+30d\", an ISO time or a unix time");
  std::string s = v.get<std::string>();
  if (s == "never") return 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    char unit = s.back();
    long long n = 0;
    try {
      n = std::stoll(s.substr(1, s.size() - 2));
    } catch (...) {
      d.fail(ptr, "bad relative time \"" + s + "\" (use e.g. +30d, -1d, +12h, +90s)");
    }
    long long mult = unit == 'd' ? 86400 : unit == 'h' ? 3600 : unit == 's' ? 1 : 0;
    if (!mult) d.fail(ptr, "bad unit in \"" + s + "\" (d, h or s)");
    constexpr long long max_offset_s = 1000LL * 366 * 86400;  // keeps n * mult from overflowing
    if (n < 0 || n > max_offset_s / mult) d.fail(ptr, "relative time \"" + s + "\" out of range (at most 1000 years)");
    return now_s() + (s[0] == '-' ? -1 : 1) * n * mult;
  }
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) d.fail(ptr, "bad time \"" + s + "\" (expected YYYY-MM-DDTHH:MM:SSZ)");
  return timegm(&tm);
}

void check_values(const json_doc& d, const std::vector<std::string>& values,
                  const std::vector<std::string_view>& known, const std::string& ptr) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::find(known.begin(), known.end(), values[i]) != known.end()) continue;
    std::string msg = "unknown permission \"" + values[i] + "\"";
    std::string near = nearest(values[i], known);
    if (!near.empty()) msg += " (did you mean \"" + near + "\"?)";
    d.fail(pointer_append(ptr, i), msg);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path, 0, 0, {}, "cannot read the tenant file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

app load_app(const json_doc& d, const nlohmann::json& j, const std::string& p,
             const std::string& base_dir) {
  d.check_keys(j, p,
               {"key", "display_name", "client_id", "app_object_id", "sp_object_id", "secrets",
                "certificates", "public_client", "redirect_uris", "application_permissions",
                "delegated_permissions", "admin_consent", "exchange_service_principal", "breaks"});
  app a;
  a.key = d.string_field(j, p, "key", true);
  a.display_name = d.string_field(j, p, "display_name", false, a.key);
  a.client_id = d.string_field(j, p, "client_id", true);
  a.app_object_id = d.string_field(j, p, "app_object_id", true);
  a.sp_object_id = d.string_field(j, p, "sp_object_id", true);
  a.public_client = d.bool_field(j, p, "public_client", false);
  a.redirect_uris = d.strings_field(j, p, "redirect_uris");
  a.application_permissions = d.strings_field(j, p, "application_permissions");
  check_values(d, a.application_permissions, app_permissions,
               pointer_append(p, "application_permissions"));
  a.delegated_permissions = d.strings_field(j, p, "delegated_permissions");
  check_values(d, a.delegated_permissions, delegated_permissions,
               pointer_append(p, "delegated_permissions"));
  a.admin_consent = d.bool_field(j, p, "admin_consent", true);
  a.breaks = d.string_field(j, p, "breaks", false);
  std::string sp = d.string_field(j, p, "exchange_service_principal", false, "registered");
  if (sp == "registered") a.exchange = exchange_sp::registered;
  else if (sp == "absent") a.exchange = exchange_sp::absent;
  else if (sp == "wrong_object_id") a.exchange = exchange_sp::wrong_object_id;
  else
    d.fail(pointer_append(p, "exchange_service_principal"),
           "expected \"registered\", \"absent\" or \"wrong_object_id\"");
  const auto& secrets = d.array_field(j, p, "secrets");
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    std::string sp2 = pointer_append(pointer_append(p, "secrets"), i);
    d.check_keys(secrets[i], sp2, {"id", "value", "expires"});
    client_secret s;
    s.id = d.string_field(secrets[i], sp2, "id", true);
    s.value = secret_string(d.string_field(secrets[i], sp2, "value", true));
    if (secrets[i].contains("expires"))
      s.expires = parse_expiry(d, secrets[i]["expires"], pointer_append(sp2, "expires"));
    a.secrets.push_back(std::move(s));
  }
  const auto& certs = d.array_field(j, p, "certificates");
  for (std::size_t i = 0; i < certs.size(); ++i) {
    std::string cp = pointer_append(pointer_append(p, "certificates"), i);
    d.check_keys(certs[i], cp, {"pem", "pem_file", "expires"});
    client_certificate c;
    c.pem = d.string_field(certs[i], cp, "pem", false);
    std::string file = d.string_field(certs[i], cp, "pem_file", false);
    if (!file.empty()) {
      std::string path = file.starts_with("/") ? file : base_dir + "/" + file;
      std::ifstream in(path);
      if (!in) d.fail(pointer_append(cp, "pem_file"), "cannot read " + path);
      std::ostringstream ss;
      ss << in.rdbuf();
      c.pem = ss.str();
    }
    if (c.pem.empty()) d.fail(cp, "a certificate needs \"pem\" or \"pem_file\"");
    c.x5t = jwt::x5t_sha1(c.pem);
    c.x5t_s256 = jwt::x5t_sha256(c.pem);
    if (c.x5t.empty()) d.fail(cp, "not a PEM certificate");
    if (certs[i].contains("expires"))
      c.expires = parse_expiry(d, certs[i]["expires"], pointer_append(cp, "expires"));
    a.certificates.push_back(std::move(c));
  }
  return a;
}

user load_user(const json_doc& d, const nlohmann::json& j, const std::string& p) {
  d.check_keys(j, p, {"upn", "object_id", "display_name", "password", "enabled", "mfa_required",
                      "blocked_by_conditional_access", "breaks"});
  user u;
  u.upn = d.string_field(j, p, "upn", true);
  u.object_id = d.string_field(j, p, "object_id", true);
  u.display_name = d.string_field(j, p, "display_name", false, u.upn);
  u.password = secret_string(d.string_field(j, p, "password", false));
  u.enabled = d.bool_field(j, p, "enabled", true);
  u.mfa_required = d.bool_field(j, p, "mfa_required", false);
  u.blocked_by_conditional_access = d.bool_field(j, p, "blocked_by_conditional_access", false);
  u.breaks = d.string_field(j, p, "breaks", false);
  return u;
}

mailbox load_mailbox(const json_doc& d, const nlohmann::json& j, const std::string& p) {
  d.check_keys(j, p, {"address", "display_name", "shared", "imap_enabled", "pop_enabled",
                      "smtp_auth_disabled", "full_access", "send_as", "messages", "breaks"});
  mailbox m;
  m.address = d.string_field(j, p, "address", true);
  m.display_name = d.string_field(j, p, "display_name", false, m.address);
  m.shared = d.bool_field(j, p, "shared", false);
  m.imap_enabled = d.bool_field(j, p, "imap_enabled", true);
  m.pop_enabled = d.bool_field(j, p, "pop_enabled", true);
  if (auto it = j.find("smtp_auth_disabled"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean())
      d.fail(pointer_append(p, "smtp_auth_disabled"), "expected true, false or null");
    m.smtp_auth_disabled = it->get<bool>();
  }
  m.full_access = d.strings_field(j, p, "full_access");
  m.send_as = d.strings_field(j, p, "send_as");
  m.breaks = d.string_field(j, p, "breaks", false);
  const auto& msgs = d.array_field(j, p, "messages");
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    std::string mp = pointer_append(pointer_append(p, "messages"), i);
    d.check_keys(msgs[i], mp, {"from", "subject", "body"});
    m.messages.push_back({d.string_field(msgs[i], mp, "from", true),
                          d.string_field(msgs[i], mp, "subject", true),
                          d.string_field(msgs[i], mp, "body", false)});
  }
  return m;
}

// Principals in full_access / send_as may name an app by key or client id, or a user by
// UPN; they are normalised to client ids and UPNs.
void resolve_principals(const json_doc& d, tenant& t) {
  for (std::size_t i = 0; i < t.mailboxes.size(); ++i) {
    for (const char* field : {"full_access", "send_as"}) {
      auto& list = std::string_view(field) == "full_access" ? t.mailboxes[i].full_access
                                                            : t.mailboxes[i].send_as;
      for (std::size_t k = 0; k < list.size(); ++k) {
        if (const app* a = t.find_app_by_key(list[k])) list[k] = a->client_id;
        else if (const app* b = t.find_app(list[k])) list[k] = b->client_id;
        else if (const user* u = t.find_user(list[k])) list[k] = u->upn;
        else
          d.fail(pointer_append(pointer_append(pointer_append("/mailboxes", i), field), k),
                 "\"" + list[k] + "\" is neither an app key, a client id nor a user UPN");
      }
    }
  }
}

}  // namespace

tenant parse_tenant(std::string_view text, const std::string& file_name) {
  json_doc d(text, file_name);
  const auto& r = d.root();
  d.check_keys(r, "", {"$schema", "tenant_id", "domain", "display_name",
                       "smtp_client_auth_disabled", "security_defaults", "imap_login_disabled",
                       "token_policy", "apps", "users", "mailboxes", "faults"});
  tenant t;
  t.tenant_id = d.string_field(r, "", "tenant_id", true);
  t.domain = d.string_field(r, "", "domain", true);
  t.display_name = d.string_field(r, "", "display_name", false, t.domain);
  t.smtp_client_auth_disabled = d.bool_field(r, "", "smtp_client_auth_disabled", false);
  t.security_defaults = d.bool_field(r, "", "security_defaults", false);
  t.imap_login_disabled = d.bool_field(r, "", "imap_login_disabled", false);
  if (auto it = r.find("token_policy"); it != r.end()) {
    d.check_keys(*it, "/token_policy", {"lifetime_min_s", "lifetime_max_s",
                                        "strict_refresh_rotation", "refresh_inactivity_s"});
    t.tokens.lifetime_min_s =
        static_cast<int>(d.int_field(*it, "/token_policy", "lifetime_min_s", 3600, 1, 86400 * 2));
    t.tokens.lifetime_max_s = static_cast<int>(
        d.int_field(*it, "/token_policy", "lifetime_max_s", t.tokens.lifetime_min_s > 5400
                                                                ? t.tokens.lifetime_min_s
                                                                : 5400,
                    1, 86400 * 2));
    if (t.tokens.lifetime_max_s < t.tokens.lifetime_min_s)
      d.fail("/token_policy/lifetime_max_s", "must not be smaller than lifetime_min_s");
    t.tokens.strict_refresh_rotation =
        d.bool_field(*it, "/token_policy", "strict_refresh_rotation", false);
    t.tokens.refresh_inactivity_s = static_cast<int>(
        d.int_field(*it, "/token_policy", "refresh_inactivity_s", 90 * 86400, 1, 3650 * 86400));
  }
  std::string base_dir = file_name.find('/') == std::string::npos
                             ? "."
                             : file_name.substr(0, file_name.rfind('/'));
  const auto& apps = d.array_field(r, "", "apps");
  for (std::size_t i = 0; i < apps.size(); ++i) {
    std::string p = pointer_append("/apps", i);
    app a = load_app(d, apps[i], p, base_dir);
    if (t.find_app_by_key(a.key)) d.fail(pointer_append(p, "key"), "duplicate app key " + a.key);
    if (t.find_app(a.client_id))
      d.fail(pointer_append(p, "client_id"), "duplicate client id " + a.client_id);
    t.apps.push_back(std::move(a));
  }
  const auto& users = d.array_field(r, "", "users");
  for (std::size_t i = 0; i < users.size(); ++i) {
    std::string p = pointer_append("/users", i);
    user u = load_user(d, users[i], p);
    if (t.find_user(u.upn)) d.fail(pointer_append(p, "upn"), "duplicate user " + u.upn);
    t.users.push_back(std::move(u));
  }
  const auto& boxes = d.array_field(r, "", "mailboxes");
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    std::string p = pointer_append("/mailboxes", i);
    mailbox m = load_mailbox(d, boxes[i], p);
    if (t.find_mailbox(m.address))
      d.fail(pointer_append(p, "address"), "duplicate mailbox " + m.address);
    t.mailboxes.push_back(std::move(m));
  }
  resolve_principals(d, t);
  const auto& faults = d.array_field(r, "", "faults");
  for (std::size_t i = 0; i < faults.size(); ++i) {
    try {
      fault_from_json(faults[i]);
    } catch (const std::exception& e) {
      d.fail(pointer_append("/faults", i), e.what());
    }
    t.faults.push_back(faults[i]);
  }
  return t;
}

tenant load_tenant_file(const std::string& path) { return parse_tenant(read_file(path), path); }

nlohmann::json tenant_to_json(const tenant& t) {
  using nlohmann::json;
  json j = {{"tenant_id", t.tenant_id},
            {"domain", t.domain},
            {"display_name", t.display_name},
            {"smtp_client_auth_disabled", t.smtp_client_auth_disabled},
            {"security_defaults", t.security_defaults},
            {"imap_login_disabled", t.imap_login_disabled},
            {"token_policy",
             {{"lifetime_min_s", t.tokens.lifetime_min_s},
              {"lifetime_max_s", t.tokens.lifetime_max_s},
              {"strict_refresh_rotation", t.tokens.strict_refresh_rotation},
              {"refresh_inactivity_s", t.tokens.refresh_inactivity_s}}}};
  auto& apps = j["apps"] = json::array();
  for (const auto& a : t.apps) {
    json s = json::array(), c = json::array();
    for (const auto& x : a.secrets)
      s.push_back({{"id", x.id}, {"value", std::string(x.value.reveal())}, {"expires", x.expires}});
    for (const auto& x : a.certificates) c.push_back({{"pem", x.pem}, {"expires", x.expires}});
    apps.push_back({{"key", a.key},
                    {"display_name", a.display_name},
                    {"client_id", a.client_id},
                    {"app_object_id", a.app_object_id},
                    {"sp_object_id", a.sp_object_id},
                    {"secrets", s},
                    {"certificates", c},
                    {"public_client", a.public_client},
                    {"redirect_uris", a.redirect_uris},
                    {"application_permissions", a.application_permissions},
                    {"delegated_permissions", a.delegated_permissions},
                    {"admin_consent", a.admin_consent},
                    {"exchange_service_principal",
                     a.exchange == exchange_sp::registered ? "registered"
                     : a.exchange == exchange_sp::absent   ? "absent"
                                                           : "wrong_object_id"},
                    {"breaks", a.breaks}});
  }
  auto& users = j["users"] = json::array();
  for (const auto& u : t.users)
    users.push_back({{"upn", u.upn},
                     {"object_id", u.object_id},
                     {"display_name", u.display_name},
                     {"password", std::string(u.password.reveal())},
                     {"enabled", u.enabled},
                     {"mfa_required", u.mfa_required},
                     {"blocked_by_conditional_access", u.blocked_by_conditional_access},
                     {"breaks", u.breaks}});
  auto& boxes = j["mailboxes"] = json::array();
  for (const auto& m : t.mailboxes) {
    json msgs = json::array();
    for (const auto& x : m.messages)
      msgs.push_back({{"from", x.from}, {"subject", x.subject}, {"body", x.body}});
    boxes.push_back({{"address", m.address},
                     {"display_name", m.display_name},
                     {"shared", m.shared},
                     {"imap_enabled", m.imap_enabled},
                     {"pop_enabled", m.pop_enabled},
                     {"smtp_auth_disabled",
                      m.smtp_auth_disabled ? json(*m.smtp_auth_disabled) : json(nullptr)},
                     {"full_access", m.full_access},
                     {"send_as", m.send_as},
                     {"messages", msgs},
                     {"breaks", m.breaks}});
  }
  j["faults"] = t.faults;
  return j;
}

}  // namespace mh::fake
