// Rules of delegated (user) grants shared by password, device code, authorization code and
// refresh: user sign-in checks in Entra's order (50034 unknown, 50057 disabled, 50126 wrong
// password, 53003 Conditional Access, 50076 MFA for non-interactive sign-ins) and the
// permission/consent check that turns requested scopes into the token's `scp`.
//
// Consent (exchange-facts §6, §8.1 D2/D3): without admin consent every delegated grant gets
// AADSTS65001. A named permission the app registration does not list also gets 65001: Entra
// would ask for incremental consent interactively, which a non-interactive grant cannot do.
// AADSTS650057 is kept for `<resource>/.default` when the registration lists no delegated
// permission at all for that resource.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "identity/aadsts.hpp"
#include "identity/scopes.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

struct delegated_grant {
  scope_set scopes;
  std::string scp;                   // space-separated short names, sorted case-insensitively
  std::string response_scope;        // the token response's "scope"
  std::vector<std::string> granted;  // permission short names granted on the resource
};

// Parses `scope` (900144 when empty) and applies the resource rules (70011, 500011, 700022).
outcome<scope_set> delegated_scopes(const tenant& t, std::string_view scope);
// Consent and permissions (65001, 650057): the token's scp and the response's scope.
outcome<delegated_grant> grant_delegated(const app& a, scope_set scopes);

// `password` null: an interactive sign-in (device-login page, authorize), where MFA is
// completed by the user and only disabled or blocked accounts fail.
outcome<const user*> sign_in(const tenant& t, std::string_view upn, const std::string* password,
                             std::string_view resource);
// The user a browserless sign-in picks without login_hint: the first enabled user with a
// password, or null.
const user* default_user(const tenant& t);
// ["pwd"], plus "mfa" when the user has MFA and signed in interactively.
std::vector<std::string> amr_for(const user& u, bool interactive);

}  // namespace mh::fake
