// client_credentials (exchange-facts §5.2, §8.2): app-only tokens. The tenant-specific
// endpoint is required (9001023), the scope must be "<resource>/.default" (1002012), roles
// are the app's application permissions, and only when an admin consented: without consent
// Entra still issues the token, just without `roles` (facts §8.2 A2/A3).
#include "core/redact.hpp"
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {

outcome<nlohmann::ordered_json> token_service::grant_client_credentials(call& c) {
  if (c.generic) return aadsts::grant_not_over_common();
  auto id = authenticate(c, false);
  if (auto e = error_of(id)) return *e;
  const app& a = *value_of(id).a;
  std::string scope = c.form.value("scope");
  if (scope.empty()) return aadsts::missing_parameter("scope");
  auto parsed = parse_scopes(scope);
  if (auto e = error_of(parsed)) return *e;
  const scope_set& s = value_of(parsed);
  if (auto e = check_client_credentials(s)) return *e;
  if (auto e = check_resources(s, t_)) return *e;

  access_request ar;
  ar.audience = s.audience;
  ar.appidacr = value_of(id).appidacr;
  // The app's permissions are Exchange's (IMAP.AccessAsApp, …): a Graph token gets none.
  if (a.admin_consent && s.kind == resource_kind::exchange && !a.application_permissions.empty())
    ar.roles = a.application_permissions;
  // Signed by a worker thread after this returns (token()), so requests sign on every core.
  auto at = minter_.access_token(a, nullptr, ar, c.now, true);
  c.ev["aud"] = ar.audience;
  c.ev["roles"] = ar.roles ? nlohmann::json(*ar.roles) : nlohmann::json();
  c.ev["lifetime_s"] = at.expires_in;
  c.unsigned_token = std::move(at.signing_input);

  nlohmann::ordered_json body;
  body["token_type"] = "Bearer";
  body["expires_in"] = at.expires_in;
  body["ext_expires_in"] = at.expires_in;
  body["access_token"] = deferred_token;
  return body;
}

}  // namespace mh::fake
