#include "identity/delegated.hpp"

#include <algorithm>
#include <cctype>
#include <openssl/crypto.h>

namespace mh::fake {
namespace {

bool listed(const std::vector<std::string>& names, std::string_view n) {
  return std::any_of(names.begin(), names.end(), [&](const std::string& x) { return iequal(x, n); });
}

bool is_oidc_name(std::string_view n) {
  return iequal(n, "openid") || iequal(n, "profile") || iequal(n, "email") ||
         iequal(n, "offline_access");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

outcome<scope_set> delegated_scopes(const tenant& t, std::string_view scope) {
  if (scope.empty()) return aadsts::missing_parameter("scope");
  auto parsed = parse_scopes(scope);
  if (auto* e = std::get_if<aad_error>(&parsed)) return *e;
  if (auto e = check_resources(std::get<scope_set>(parsed), t)) return *e;
  return parsed;
}

outcome<delegated_grant> grant_delegated(const app& a, scope_set scopes) {
  delegated_grant g;
  g.scopes = std::move(scopes);
  if (!a.admin_consent) return aadsts::consent_required(a.client_id, a.display_name);
  const scope_set& s = g.scopes;
  bool only_oidc = std::all_of(s.items.begin(), s.items.end(), [](auto& i) { return i.oidc; });
  if (s.has_default) {
    for (const auto& p : a.delegated_permissions)
      if (!is_oidc_name(p)) g.granted.push_back(p);
    if (g.granted.empty())
      return aadsts::resource_not_in_registration(a.client_id, a.display_name, s.resource);
  } else if (!only_oidc) {
    for (const auto& p : s.permissions) {
      if (!listed(a.delegated_permissions, p)) return aadsts::consent_required(a.client_id, a.display_name);
      if (!listed(g.granted, p)) g.granted.push_back(p);
    }
  }
  std::vector<std::string> scp = g.granted;
  for (const auto& n : s.oidc_names()) scp.push_back(n);
  // Real tokens list scp case-insensitively sorted ("email Mail.ReadWrite … SMTP.Send").
  std::sort(scp.begin(), scp.end(), [](const std::string& x, const std::string& y) {
    return lower(x) < lower(y);
  });
  g.scp = join(scp);
  std::vector<std::string> resp;
  bool graph = s.kind == resource_kind::graph;
  for (const auto& p : g.granted) resp.push_back(graph ? p : s.resource + "/" + p);
  for (const auto& n : s.oidc_names()) resp.push_back(n);
  g.response_scope = join(resp);
  return g;
}

outcome<const user*> sign_in(const tenant& t, std::string_view upn, const std::string* password,
                             std::string_view resource) {
  const user* u = t.find_user(upn);
  if (!u) return aadsts::user_not_found(t.tenant_id);
  if (!u->enabled) return aadsts::user_disabled();
  if (password) {
    if (u->password.empty()) return aadsts::no_password();
    auto stored = u->password.reveal();
    if (stored.size() != password->size() ||
        CRYPTO_memcmp(stored.data(), password->data(), stored.size()) != 0)
      return aadsts::bad_password();
  }
  if (u->blocked_by_conditional_access) return aadsts::blocked_by_conditional_access();
  if (password && u->mfa_required) return aadsts::mfa_required(resource);
  return u;
}

const user* default_user(const tenant& t) {
  for (const auto& u : t.users)
    if (u.enabled && !u.password.empty()) return &u;
  return nullptr;
}

std::vector<std::string> amr_for(const user& u, bool interactive) {
  if (interactive && u.mfa_required) return {"pwd", "mfa"};
  return {"pwd"};
}

}  // namespace mh::fake
