#include "profile.hpp"

#include <filesystem>

#include "core/files.hpp"
#include "core/json_doc.hpp"

namespace mh::cli {
namespace {

// Endpoints per cloud. Worldwide: exchange-facts §0 (Microsoft's documented hosts). The
// national clouds follow Microsoft's national-cloud endpoint pages; they are not verified
// against live servers here, and each profile says so.
struct cloud_row {
  const char* name;
  const char* authority;
  const char* mail_host;   // IMAP and POP
  const char* smtp_host;
  const char* app_resource;
  const char* delegated_resource;
  bool verified;
};

constexpr cloud_row clouds[] = {
    {"worldwide", "https://login.microsoftonline.com", "outlook.office365.com", "smtp.office365.com",
     "https://outlook.office365.com", "https://outlook.office.com", true},
    {"usgov-gcchigh", "https://login.microsoftonline.us", "outlook.office365.us", "smtp.office365.us",
     "https://outlook.office365.us", "https://outlook.office365.us", false},
    {"usgov-dod", "https://login.microsoftonline.us", "outlook-dod.office365.us", "smtp-dod.office365.us",
     "https://outlook-dod.office365.us", "https://outlook-dod.office365.us", false},
    {"china", "https://login.chinacloudapi.cn", "partner.outlook.cn", "smtp.partner.outlook.cn",
     "https://partner.outlook.cn", "https://partner.outlook.cn", false},
};

std::string absolute_from(const std::string& base_file, const std::string& p) {
  if (p.empty() || p.front() == '/') return p;
  auto dir = std::filesystem::path(base_file).parent_path();
  return (dir / p).lexically_normal().string();
}

tls_mode parse_tls(const json_doc& d, const std::string& ptr, const std::string& v) {
  if (v == "implicit") return tls_mode::implicit;
  if (v == "starttls") return tls_mode::starttls;
  if (v == "none") return tls_mode::none;
  d.fail(ptr, "tls must be \"implicit\", \"starttls\" or \"none\", not \"" + v + "\"");
}

const std::pair<const char*, protocol> protocol_keys[] = {
    {"imap", protocol::imap}, {"pop3", protocol::pop3}, {"smtp", protocol::smtp}};

profile from_ready_file(const json_doc& d) {
  const auto& r = d.root();
  profile p = *builtin_profile("worldwide");
  p.source = d.file();
  p.cloud = "fake";
  p.is_fake = true;
  p.notes.clear();
  std::string authority = d.string_field(r, "", "authority", true);
  auto slash = authority.find('/', authority.find("//") + 2);
  if (slash == std::string::npos) d.fail("/authority", "expected https://host:port/<tenant>");
  p.authority = authority.substr(0, slash);
  p.tenant = authority.substr(slash + 1);
  p.ca_file = absolute_from(d.file(), d.string_field(r, "", "ca_file", true));
  p.control = d.string_field(r, "", "control", false);
  if (!r.contains("endpoints") || !r["endpoints"].is_object()) d.fail("", "missing \"endpoints\"");
  for (const auto& [key, proto] : protocol_keys) {
    std::string ptr = "/endpoints/" + std::string(key);
    if (!r["endpoints"].contains(key)) continue;
    const auto& e = r["endpoints"][key];
    mail_endpoint m;
    m.host = d.string_field(e, ptr, "host", true);
    m.port = static_cast<std::uint16_t>(d.int_field(e, ptr, "port", 0, 1, 65535));
    m.tls = parse_tls(d, ptr + "/tls", d.string_field(e, ptr, "tls", true));
    p.endpoints[proto] = m;
  }
  if (r.contains("demo") && r["demo"].is_object()) {
    const auto& demo = r["demo"];
    if (demo.contains("app") && demo["app"].is_object()) {
      p.client_id = d.string_field(demo["app"], "/demo/app", "client_id", false);
      p.fake_secret = secret_string(d.string_field(demo["app"], "/demo/app", "client_secret", false));
      p.flow = "client-credentials";
    }
    p.mailboxes = d.strings_field(demo, "/demo", "mailboxes");
  }
  return p;
}

}  // namespace

std::string profile::delegated_scope() const {
  return delegated_resource + "/IMAP.AccessAsUser.All " + delegated_resource + "/POP.AccessAsUser.All " +
         delegated_resource + "/SMTP.Send offline_access";
}

std::optional<profile> builtin_profile(std::string_view cloud) {
  for (const auto& c : clouds) {
    if (cloud != c.name) continue;
    profile p;
    p.source = "builtin:" + std::string(c.name);
    p.cloud = c.name;
    p.authority = c.authority;
    p.app_resource = c.app_resource;
    p.delegated_resource = c.delegated_resource;
    p.endpoints[protocol::imap] = {c.mail_host, 993, tls_mode::implicit};
    p.endpoints[protocol::pop3] = {c.mail_host, 995, tls_mode::implicit};
    p.endpoints[protocol::smtp] = {c.smtp_host, 587, tls_mode::starttls};
    if (!c.verified)
      p.notes.push_back("the " + std::string(c.name) +
                        " endpoints come from Microsoft's national-cloud documentation and are not "
                        "verified against live servers by mailharness; override them in a profile "
                        "file if your tenant differs");
    return p;
  }
  return std::nullopt;
}

std::vector<std::string> builtin_profile_names() {
  std::vector<std::string> v;
  for (const auto& c : clouds) v.emplace_back(c.name);
  return v;
}

profile parse_profile(std::string_view text, const std::string& file) {
  json_doc d(text, file);
  const auto& r = d.root();
  if (!r.is_object()) d.fail("", "a profile is a JSON object");
  if (r.contains("version") && r.contains("endpoints") && r.contains("authority") && !r.contains("format"))
    return from_ready_file(d);
  d.check_keys(r, "",
               {"format", "cloud", "authority", "tenant", "client_id", "flow", "scope", "credential",
                "username", "ca_file", "imap", "pop3", "smtp", "mailboxes", "app_resource",
                "delegated_resource"});
  std::string format = d.string_field(r, "", "format", true);
  if (format != "mailharness.profile/1")
    d.fail("/format", "unsupported format \"" + format + "\" (expected \"mailharness.profile/1\")");
  std::string cloud = d.string_field(r, "", "cloud", false, "worldwide");
  auto base = builtin_profile(cloud);
  if (!base) {
    std::vector<std::string_view> names;
    for (const auto& c : clouds) names.emplace_back(c.name);
    std::string msg = "unknown cloud \"" + cloud + "\"";
    if (auto n = nearest(cloud, names); !n.empty()) msg += " (did you mean \"" + n + "\"?)";
    d.fail("/cloud", msg);
  }
  profile p = std::move(*base);
  p.source = file;
  p.authority = d.string_field(r, "", "authority", false, p.authority);
  while (!p.authority.empty() && p.authority.back() == '/') p.authority.pop_back();
  if (!p.authority.starts_with("https://") && !p.authority.starts_with("http://127.0.0.1") &&
      !p.authority.starts_with("http://localhost"))
    d.fail("/authority", "the authority must be an https:// URL");
  p.tenant = d.string_field(r, "", "tenant", false);
  p.client_id = d.string_field(r, "", "client_id", false);
  p.flow = d.string_field(r, "", "flow", false);
  if (!p.flow.empty() && p.flow != "client-credentials" && p.flow != "device-code" && p.flow != "refresh-token" &&
      p.flow != "auth-code" && p.flow != "password")
    d.fail("/flow", "flow must be client-credentials, device-code, refresh-token, auth-code or password");
  p.scope = d.string_field(r, "", "scope", false);
  p.app_resource = d.string_field(r, "", "app_resource", false, p.app_resource);
  p.delegated_resource = d.string_field(r, "", "delegated_resource", false, p.delegated_resource);
  p.username = d.string_field(r, "", "username", false);
  p.ca_file = absolute_from(file, d.string_field(r, "", "ca_file", false));
  p.mailboxes = d.strings_field(r, "", "mailboxes");
  if (r.contains("credential")) {
    const auto& c = r["credential"];
    const std::string ptr = "/credential";
    if (c.is_object() && (c.contains("client_secret") || c.contains("secret") || c.contains("password")))
      d.fail(ptr, "profiles never hold secrets: name them with secret_env/secret_file or "
                  "password_env/password_file");
    d.check_keys(c, ptr,
                 {"secret_env", "secret_file", "certificate", "private_key", "assertion_alg", "password_env",
                  "password_file", "refresh_token_file"});
    p.secret_env = d.string_field(c, ptr, "secret_env", false);
    p.secret_file = absolute_from(file, d.string_field(c, ptr, "secret_file", false));
    p.certificate = absolute_from(file, d.string_field(c, ptr, "certificate", false));
    p.private_key = absolute_from(file, d.string_field(c, ptr, "private_key", false));
    p.assertion_alg = d.string_field(c, ptr, "assertion_alg", false);
    if (!p.assertion_alg.empty() && p.assertion_alg != "PS256" && p.assertion_alg != "RS256")
      d.fail(ptr + "/assertion_alg", "assertion_alg must be PS256 or RS256");
    p.password_env = d.string_field(c, ptr, "password_env", false);
    p.password_file = absolute_from(file, d.string_field(c, ptr, "password_file", false));
    p.refresh_token_file = absolute_from(file, d.string_field(c, ptr, "refresh_token_file", false));
    int kinds = !p.secret_env.empty() + !p.secret_file.empty() + !p.certificate.empty();
    if (kinds > 1) d.fail(ptr, "give one of secret_env, secret_file or certificate");
  }
  for (const auto& [key, proto] : protocol_keys) {
    if (!r.contains(key)) continue;
    std::string ptr = "/" + std::string(key);
    const auto& e = r[key];
    d.check_keys(e, ptr, {"host", "port", "tls"});
    mail_endpoint& m = p.endpoints[proto];
    m.host = d.string_field(e, ptr, "host", false, m.host);
    m.port = static_cast<std::uint16_t>(d.int_field(e, ptr, "port", m.port, 1, 65535));
    if (e.contains("tls")) m.tls = parse_tls(d, ptr + "/tls", d.string_field(e, ptr, "tls", true));
  }
  return p;
}

profile load_profile(const std::string& path) {
  std::string why;
  auto text = read_file_bounded(path, 1 << 20, &why);
  if (!text) throw config_error(path, 0, 0, "", why);
  return parse_profile(*text, path);
}

profile resolve_profile(const std::string& name_or_path) {
  if (auto p = builtin_profile(name_or_path)) return *p;
  return load_profile(name_or_path);
}

}  // namespace mh::cli
