// Scope strings as the v2.0 endpoints take them (exchange-facts §5.2, §7.2, §8.1 D2/D4):
// "https://outlook.office.com/IMAP.AccessAsUser.All offline_access", "https://outlook.
// office365.com/.default", bare "IMAP.AccessAsUser.All" (which Entra resolves to Microsoft
// Graph), the OIDC names. Exchange answers to https://outlook.office365.com,
// https://outlook.office.com, https://ps.outlook.com and its appId; a trailing slash on the
// resource ("https://outlook.office365.com//.default") is accepted. The resource spelling
// chosen by the client becomes the token's `aud`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "identity/aadsts.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

enum class resource_kind { none, exchange, graph, unknown };

struct scope_item {
  std::string raw;         // as sent
  std::string resource;    // normalised ("https://outlook.office.com"); empty for OIDC names
  std::string permission;  // ".default", "IMAP.AccessAsUser.All", or the OIDC name
  resource_kind kind = resource_kind::none;
  bool oidc = false;
};

struct scope_set {
  std::string raw;
  std::vector<scope_item> items;
  bool openid = false, profile = false, email = false, offline_access = false;
  // The resource of the first non-OIDC scope (Graph when only OIDC names were asked for).
  resource_kind kind = resource_kind::none;
  std::string resource;
  std::string audience;  // `aud` of the access token
  bool has_default = false;
  std::vector<std::string> permissions;  // named permissions of that resource, as sent
  // OIDC names asked for, in Entra's order: openid profile email offline_access.
  std::vector<std::string> oidc_names() const;
};

inline constexpr std::size_t max_scopes = 64;

// Splits and classifies. 70011 for an empty, malformed or over-long scope list.
outcome<scope_set> parse_scopes(std::string_view scope);
// Resource rules of every grant: 500011 for a resource the tenant does not know, 700022 for
// several resources, 70011 for ".default" mixed with named permissions of the resource.
std::optional<aad_error> check_resources(const scope_set& s, const tenant& t);
// client_credentials: only "<resource>/.default" (1002012 names the first offender).
std::optional<aad_error> check_client_credentials(const scope_set& s);

// Case-insensitive ASCII comparison (permission names, UPNs, tenant segments).
bool iequal(std::string_view a, std::string_view b);

}  // namespace mh::fake
