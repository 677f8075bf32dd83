// The password grant (ROPC, exchange-facts §5.6): public clients send no credential,
// confidential ones their secret or assertion; then the user signs in non-interactively
// (50034, 50057, 50126, 53003, 50076) and consent is checked (65001, 650057).
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {

outcome<nlohmann::ordered_json> token_service::grant_password(call& c) {
  auto id = authenticate(c, true);
  if (auto e = error_of(id)) return *e;
  const std::string* username = c.form.get("username");
  const std::string* password = c.form.get("password");
  if (!username) return aadsts::missing_parameter("username");
  if (!password) return aadsts::missing_parameter("password");
  auto scopes = delegated_scopes(t_, c.form.value("scope"));
  if (auto e = error_of(scopes)) return *e;
  auto u = sign_in(t_, *username, password, value_of(scopes).resource);
  if (auto e = error_of(u)) return *e;
  const app& a = *value_of(id).a;
  auto g = grant_delegated(a, std::move(value_of(scopes)));
  if (auto e = error_of(g)) return *e;
  delegated_issue d;
  d.a = &a;
  d.u = value_of(u);
  d.appidacr = value_of(id).appidacr;
  d.amr = amr_for(*d.u, false);
  return issue_delegated(c, d, value_of(g));
}

}  // namespace mh::fake
