// The device authorization grant (exchange-facts §5.5): the devicecode endpoint, polling at
// the token endpoint (70016 pending, 65004 declined, 70019 expired, 70018 unknown code; HTTP
// 400), and the browserless stand-in for the device-login page: the control API approves
// (signs a user in, interactively: MFA is satisfied, disabled or blocked accounts fail) or
// denies. A failed sign-in is reported to the poller. Consent is checked when the poller
// redeems the approval, as the token endpoint would.
#include "core/redact.hpp"
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {

service_answer token_service::devicecode(const service_request& r) {
  std::lock_guard lock(mu_);
  auto ids = ids_for(r);
  std::int64_t t = now();
  nlohmann::json ev = {{"tenant", r.tenant}};
  auto result = [&]() -> outcome<nlohmann::ordered_json> {
    if (r.method != "POST") return aadsts::post_only(r.method);
    std::string why;
    auto f = parse_form(r.body, &why);
    if (!f) return aadsts::malformed_request(why);
    auto generic = resolve_tenant(r.tenant);
    if (auto e = error_of(generic)) return *e;
    std::string client_id = f->value("client_id");
    ev["client_id"] = client_id;
    ev["scope"] = f->value("scope");
    auto found = find_client(t_, client_id);
    if (auto e = error_of(found)) return *e;
    const app* a = value_of(found);
    auto scopes = delegated_scopes(t_, f->value("scope"));
    if (auto e = error_of(scopes)) return *e;
    device_record d;
    d.client_id = a->client_id;
    d.scope = f->value("scope");
    d.expires_at = t + cfg_.device_code_lifetime_s;
    std::string device_code = store_.add_device(std::move(d), t);
    std::string user_code = store_.find_device(device_code)->user_code;
    ev["device_code"] = fingerprint(device_code);
    ev["user_code"] = fingerprint(user_code);
    nlohmann::ordered_json body;
    body["user_code"] = user_code;
    body["device_code"] = device_code;
    body["verification_uri"] = cfg_.verification_uri;
    body["expires_in"] = cfg_.device_code_lifetime_s;
    body["interval"] = cfg_.device_code_interval_s;
    body["message"] = "To sign in, use a web browser to open the page " + cfg_.verification_uri +
                      " and enter the code " + user_code + " to authenticate.";
    return body;
  }();
  service_answer a;
  a.trace_id = ids.trace_id;
  if (auto e = error_of(result)) {
    a.status = e->status;
    a.body = error_body(*e, ids, t);
    ev["outcome"] = e->code ? "AADSTS" + std::to_string(e->code) : e->error;
    events_.add("devicecode.error", std::move(ev));
  } else {
    a.body = std::move(value_of(result));
    ev["outcome"] = "issued";
    events_.add("devicecode.issued", std::move(ev));
  }
  return a;
}

outcome<nlohmann::ordered_json> token_service::grant_device_code(call& c) {
  auto id = authenticate(c, true);
  if (auto e = error_of(id)) return *e;
  const app& a = *value_of(id).a;
  const std::string* code = c.form.get("device_code");
  if (!code) return aadsts::missing_parameter("device_code");
  c.ev["device_code"] = fingerprint(*code);
  device_record* d = store_.find_device(*code);
  if (!d || !iequal(d->client_id, a.client_id)) return aadsts::bad_verification_code();
  if (d->st == device_record::state::redeemed) return aadsts::bad_verification_code();
  if (c.now >= d->expires_at) return aadsts::device_code_expired();
  switch (d->st) {
    case device_record::state::pending: return aadsts::authorization_pending();
    case device_record::state::declined: return aadsts::authorization_declined();
    case device_record::state::failed: return *d->failure;
    default: break;
  }
  auto scopes = delegated_scopes(t_, d->scope);
  if (auto e = error_of(scopes)) return *e;
  auto u = sign_in(t_, d->upn, nullptr, value_of(scopes).resource);
  if (auto e = error_of(u)) return *e;
  auto g = grant_delegated(a, std::move(value_of(scopes)));
  if (auto e = error_of(g)) return *e;
  d->st = device_record::state::redeemed;
  delegated_issue di;
  di.a = &a;
  di.u = value_of(u);
  di.appidacr = value_of(id).appidacr;
  di.amr = d->amr;
  return issue_delegated(c, di, value_of(g));
}

service_answer token_service::device_decision(const nlohmann::json& body, bool approve) {
  std::lock_guard lock(mu_);
  std::int64_t t = now();
  auto control = [](int status, nlohmann::ordered_json j) {
    service_answer a;
    a.status = status;
    a.body = std::move(j);
    return a;
  };
  auto str = [&](const char* k) {
    return body.is_object() && body.contains(k) && body[k].is_string() ? body[k].get<std::string>()
                                                                       : std::string();
  };
  std::string user_code = str("user_code");
  if (user_code.empty())
    return control(400, {{"error", "invalid_request"}, {"error_description", "user_code is required"}});
  device_record* d = store_.find_device_by_user_code(user_code);
  if (!d) return control(404, {{"error", "not_found"}, {"error_description", "unknown user_code"}});
  if (t >= d->expires_at)
    return control(400, {{"error", "expired_token"}, {"error_description", "the code has expired"}});
  if (d->st != device_record::state::pending)
    return control(409, {{"error", "conflict"}, {"error_description", "the code was already used"}});
  nlohmann::json ev = {{"client_id", d->client_id}, {"user_code", fingerprint(d->user_code)}};
  if (!approve) {
    d->st = device_record::state::declined;
    events_.add("devicecode.declined", std::move(ev));
    return control(200, {{"status", "declined"}});
  }
  std::string upn = str("upn");
  if (upn.empty()) {
    const user* du = default_user(t_);
    if (du) upn = du->upn;
  }
  ev["upn"] = upn;
  auto scopes = parse_scopes(d->scope);
  std::string resource = error_of(scopes) ? std::string() : value_of(scopes).resource;
  auto u = sign_in(t_, upn, nullptr, resource);
  if (auto e = error_of(u)) {
    d->st = device_record::state::failed;
    d->failure = *e;
    ev["outcome"] = "AADSTS" + std::to_string(e->code);
    events_.add("devicecode.sign_in_failed", std::move(ev));
    request_ids ids{random_guid(), random_guid()};
    service_answer a = control(e->status, error_body(*e, ids, t));
    a.trace_id = ids.trace_id;
    return a;
  }
  d->st = device_record::state::approved;
  d->upn = value_of(u)->upn;
  d->amr = amr_for(*value_of(u), true);
  events_.add("devicecode.approved", std::move(ev));
  return control(200, {{"status", "approved"}, {"upn", d->upn}});
}

}  // namespace mh::fake
