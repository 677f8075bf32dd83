#include "identity/scopes.hpp"

#include <cctype>

#include "identity/ids.hpp"

namespace mh::fake {
namespace {

constexpr std::string_view oidc_order[] = {"openid", "profile", "email", "offline_access"};
constexpr std::string_view exchange_app_id = "00000002-0000-0ff1-ce00-000000000000";
constexpr std::string_view graph_app_id = "00000003-0000-0000-c000-000000000000";
constexpr std::string_view graph_url = "https://graph.microsoft.com";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The kind and `aud` of a normalised resource.
std::pair<resource_kind, std::string> classify(const std::string& resource) {
  if (resource == "https://outlook.office365.com" || resource == "https://outlook.office.com" ||
      resource == "https://ps.outlook.com" || resource == exchange_app_id)
    return {resource_kind::exchange, resource};
  if (resource == graph_url || resource == graph_app_id) return {resource_kind::graph, resource};
  return {resource_kind::unknown, resource};
}

bool short_name(std::string_view s) {
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
      return false;
  return !s.empty();
}

std::optional<scope_item> parse_item(std::string_view raw) {
  scope_item it;
  it.raw = std::string(raw);
  for (unsigned char c : raw)
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  std::string low = lower(raw);
  for (auto name : oidc_order)
    if (low == name) {
      it.oidc = true;
      it.permission = std::string(name);
      return it;
    }
  std::string resource;
  std::string_view perm;
  auto scheme = raw.find("://");
  auto slash = raw.rfind('/');
  if (scheme != std::string_view::npos) {
    if (slash == std::string_view::npos || slash < scheme + 3) return std::nullopt;
    resource = lower(raw.substr(0, slash));
    perm = raw.substr(slash + 1);
    if (resource.ends_with('/')) resource.pop_back();  // "https://outlook.office.com//X"
  } else if (slash == 36 && is_guid(raw.substr(0, 36))) {
    resource = lower(raw.substr(0, 36));
    perm = raw.substr(37);
  } else if (slash == std::string_view::npos) {
    resource = std::string(graph_url);  // bare names resolve to Microsoft Graph
    perm = raw;
  } else {
    return std::nullopt;
  }
  if (!short_name(perm)) return std::nullopt;
  it.permission = std::string(perm);
  std::tie(it.kind, it.resource) = classify(resource);
  return it;
}

// Exchange answers to several names; other resources are told apart by their identifier.
std::string resource_key(const scope_item& it) {
  if (it.kind == resource_kind::exchange) return "exchange";
  if (it.kind == resource_kind::graph) return "graph";
  return it.resource;
}

}  // namespace

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::vector<std::string> scope_set::oidc_names() const {
  std::vector<std::string> out;
  const bool asked[] = {openid, profile, email, offline_access};
  for (std::size_t i = 0; i < 4; ++i)
    if (asked[i]) out.emplace_back(oidc_order[i]);
  return out;
}

outcome<scope_set> parse_scopes(std::string_view scope) {
  scope_set s;
  s.raw = std::string(scope);
  std::string_view rest = scope;
  while (!rest.empty()) {
    auto sp = rest.find(' ');
    std::string_view tok = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (tok.empty()) continue;
    if (s.items.size() >= max_scopes) return aadsts::invalid_scope(scope);
    auto it = parse_item(tok);
    if (!it) return aadsts::invalid_scope(tok);
    s.items.push_back(std::move(*it));
  }
  if (s.items.empty()) return aadsts::invalid_scope(scope);
  const scope_item* first = nullptr;
  for (const auto& it : s.items) {
    s.openid |= it.oidc && it.permission == "openid";
    s.profile |= it.oidc && it.permission == "profile";
    s.email |= it.oidc && it.permission == "email";
    s.offline_access |= it.oidc && it.permission == "offline_access";
    if (!it.oidc && !first) first = &it;
  }
  if (!first) {  // only OIDC names: Entra issues a Graph token
    s.kind = resource_kind::graph;
    s.resource = s.audience = std::string(graph_url);
    return s;
  }
  s.kind = first->kind;
  s.resource = s.audience = first->resource;
  for (const auto& it : s.items) {
    if (it.oidc || resource_key(it) != resource_key(*first)) continue;
    if (it.permission == ".default")
      s.has_default = true;
    else
      s.permissions.push_back(it.permission);
  }
  return s;
}

std::optional<aad_error> check_resources(const scope_set& s, const tenant& t) {
  const std::string& tenant_name = t.display_name.empty() ? t.domain : t.display_name;
  const scope_item* first = nullptr;
  for (const auto& it : s.items) {
    if (it.oidc) continue;
    if (it.kind == resource_kind::unknown) return aadsts::resource_not_found(it.resource, tenant_name);
    if (!first) first = &it;
    if (resource_key(it) != resource_key(*first)) return aadsts::multiple_resources(s.raw);
  }
  if (s.has_default && !s.permissions.empty()) return aadsts::invalid_scope(s.raw);
  return std::nullopt;
}

std::optional<aad_error> check_client_credentials(const scope_set& s) {
  for (const auto& it : s.items)
    if (it.oidc || it.permission != ".default") return aadsts::client_credentials_scope(it.raw);
  return std::nullopt;
}

}  // namespace mh::fake
