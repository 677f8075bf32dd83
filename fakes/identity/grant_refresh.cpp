// The refresh_token grant (exchange-facts §5.4): every refresh returns a new refresh token;
// the old one stays valid (Entra) unless the tenant's policy asks for strict rotation, in
// which case a superseded token is refused as revoked (50173). A token idle longer than the
// policy's inactivity window gets 700082; an unknown one, or one of another client, 70000.
// `scope` is optional and must stay within the original grant (70000 otherwise). Events
// record whether the client re-used a superseded token and whether it sent `scope`.
#include <algorithm>

#include "core/redact.hpp"
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {
namespace {

bool within(const delegated_grant& asked, const delegated_grant& original) {
  if (asked.scopes.kind != original.scopes.kind) return false;
  return std::all_of(asked.granted.begin(), asked.granted.end(), [&](const std::string& p) {
    return std::any_of(original.granted.begin(), original.granted.end(),
                       [&](const std::string& q) { return iequal(p, q); });
  });
}

}  // namespace

outcome<nlohmann::ordered_json> token_service::grant_refresh(call& c) {
  auto id = authenticate(c, true);
  if (auto e = error_of(id)) return *e;
  const app& a = *value_of(id).a;
  const std::string* rt = c.form.get("refresh_token");
  if (!rt) return aadsts::missing_parameter("refresh_token");
  c.ev["refresh_token"] = fingerprint(*rt);
  c.ev["scope_sent"] = c.form.has("scope");
  refresh_record* rec = store_.find_refresh(*rt);
  if (!rec || !iequal(rec->client_id, a.client_id)) return aadsts::refresh_token_invalid();
  bool reused = rec->rotated_at != 0;
  c.ev["refresh_token_reused"] = reused;
  c.ev["refresh_family"] = rec->family;
  if (reused && t_.tokens.strict_refresh_rotation)
    return aadsts::grant_revoked(rec->issued_at, rec->rotated_at);
  if (c.now - rec->last_used_at > t_.tokens.refresh_inactivity_s)
    return aadsts::refresh_token_inactive(rec->issued_at, t_.tokens.refresh_inactivity_s);

  auto original_scopes = delegated_scopes(t_, rec->scope);
  if (auto e = error_of(original_scopes)) return *e;
  // Entra evaluates the account and Conditional Access again; MFA was done at sign-in.
  auto u = sign_in(t_, rec->upn, nullptr, value_of(original_scopes).resource);
  if (auto e = error_of(u)) return *e;
  auto original = grant_delegated(a, value_of(original_scopes));
  if (auto e = error_of(original)) return *e;  // consent revoked since the sign-in
  auto asked_scopes = c.form.has("scope") ? delegated_scopes(t_, c.form.value("scope"))
                                          : original_scopes;
  if (auto e = error_of(asked_scopes)) return *e;
  value_of(asked_scopes).offline_access = true;  // a refresh always rotates the refresh token
  auto asked = grant_delegated(a, std::move(value_of(asked_scopes)));
  if (auto e = error_of(asked)) return *e;
  if (!within(value_of(asked), value_of(original))) return aadsts::refresh_scope_not_granted();

  delegated_issue d;
  d.a = &a;
  d.u = value_of(u);
  d.appidacr = value_of(id).appidacr;
  d.amr = rec->amr;
  d.family = rec->family;
  d.rt_scope = rec->scope;
  rec->last_used_at = c.now;
  if (!reused) rec->rotated_at = c.now;
  return issue_delegated(c, d, value_of(asked));  // may evict `rec`: not used past here
}

}  // namespace mh::fake
