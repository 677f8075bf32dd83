// The token endpoint's common path: request ids, tenant resolution, form parsing, grant
// dispatch, the delegated success body, and one event per request.
#include "identity/token_service.hpp"

#include <cctype>

#include "core/redact.hpp"
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {
namespace {

bool dns_like(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  if (s.front() == '.' || s.back() == '.' || s.find("..") != std::string_view::npos) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  return true;
}

bool is_form(std::string_view content_type) {
  constexpr std::string_view form = "application/x-www-form-urlencoded";
  return content_type.size() >= form.size() && iequal(content_type.substr(0, form.size()), form) &&
         (content_type.size() == form.size() || content_type[form.size()] == ';' ||
          content_type[form.size()] == ' ');
}

}  // namespace

token_service::token_service(tenant& t, event_log& events, const key_store& keys,
                             identity_config cfg)
    : t_(t), events_(events), keys_(keys), cfg_(std::move(cfg)), minter_(t, keys, cfg_.seed) {
  if (!cfg_.clock) cfg_.clock = system_clock();
}

void token_service::set_base_url(std::string url) {
  std::lock_guard lock(mu_);
  base_url_ = std::move(url);
}

std::string token_service::base_url() const {
  std::lock_guard lock(mu_);
  return base_url_;
}

std::string token_service::oidc_issuer() const {
  std::lock_guard lock(mu_);
  return issuer_for(t_.tenant_id);
}

std::string token_service::issuer_for(std::string_view tenant) const {
  return base_url_ + "/" + std::string(tenant) + "/v2.0";
}

std::string token_service::access_token_issuer() const { return minter_.access_token_issuer(); }

request_ids token_service::ids_for(const service_request& r) const {
  // Entra echoes the client's client-request-id as the correlation id.
  return {random_guid(), is_guid(r.client_request_id) ? r.client_request_id : random_guid()};
}

outcome<bool> token_service::resolve_tenant(std::string_view segment) const {
  if (iequal(segment, "common") || iequal(segment, "organizations") || iequal(segment, "consumers"))
    return true;
  if (t_.matches(segment)) return false;
  if (is_guid(segment) || dns_like(segment)) return aadsts::tenant_not_found(segment);
  return aadsts::tenant_malformed(segment);
}

std::string token_service::endpoint(std::string_view segment, std::string_view path) const {
  return base_url_ + "/" + std::string(segment) + "/" + std::string(path);
}

std::vector<std::string> token_service::assertion_audiences(std::string_view segment) const {
  // The token endpoint under any name of this tenant, on this server or on Entra's host
  // (clients that hard-code login.microsoftonline.com into `aud`), v2.0 or v1.
  std::vector<std::string> out;
  for (const std::string& host : {base_url_, std::string("https://login.microsoftonline.com")})
    for (std::string_view tn : {segment, std::string_view(t_.tenant_id), std::string_view(t_.domain)})
      for (std::string_view path : {"/oauth2/v2.0/token", "/oauth2/token"})
        out.push_back(host + "/" + std::string(tn) + std::string(path));
  return out;
}

outcome<client_identity> token_service::authenticate(call& c, bool public_allowed) {
  client_auth_input in;
  in.form = &c.form;
  in.basic = c.basic;
  in.public_allowed = public_allowed;
  in.assertion_audiences = assertion_audiences(c.req.tenant);
  in.now = c.now;
  auto r = authenticate_client(t_, in);
  if (auto* id = std::get_if<client_identity>(&r)) c.ev["appidacr"] = id->appidacr;
  return r;
}

service_answer token_service::error_answer(const aad_error& e, const service_request& r) {
  auto ids = ids_for(r);
  service_answer a;
  a.status = e.status;
  a.body = error_body(e, ids, now());
  a.trace_id = ids.trace_id;
  return a;
}

service_answer token_service::token(const service_request& r, const aad_error* injected) {
  std::lock_guard lock(mu_);
  call c{r, ids_for(r)};
  c.now = now();
  c.ev = {{"tenant", r.tenant}};
  auto result = [&]() -> outcome<nlohmann::ordered_json> {
    std::string why;
    std::optional<form_params> f;
    if (is_form(r.content_type)) f = parse_form(r.body, &why);
    if (f) c.form = std::move(*f);
    if (!r.authorization.empty()) c.basic = parse_basic_auth(r.authorization);
    std::string grant = c.form.value("grant_type");
    c.ev["grant"] = grant;
    c.ev["client_id"] = c.form.has("client_id") ? c.form.value("client_id")
                                                : (c.basic ? c.basic->id : std::string());
    if (c.form.has("scope")) c.ev["scope"] = c.form.value("scope");
    if (injected) {
      c.ev["fault"] = true;
      return *injected;
    }
    if (r.method != "POST") return aadsts::post_only(r.method);
    if (!why.empty()) return aadsts::malformed_request(why);
    auto generic = resolve_tenant(r.tenant);
    if (auto* e = std::get_if<aad_error>(&generic)) return *e;
    c.generic = std::get<bool>(generic);
    if (grant.empty()) return aadsts::missing_parameter("grant_type");
    static const std::pair<std::string_view, grant_fn> grants[] = {
        {"client_credentials", &token_service::grant_client_credentials},
        {"password", &token_service::grant_password},
        {"refresh_token", &token_service::grant_refresh},
        {"urn:ietf:params:oauth:grant-type:device_code", &token_service::grant_device_code},
        {"authorization_code", &token_service::grant_authorization_code},
    };
    for (const auto& [name, fn] : grants)
      if (grant == name) return (this->*fn)(c);
    return aadsts::unsupported_grant_type(grant);
  }();
  service_answer a;
  a.trace_id = c.ids.trace_id;
  if (auto* e = std::get_if<aad_error>(&result)) {
    a.status = e->status;
    a.body = error_body(*e, c.ids, c.now);
    c.ev["outcome"] = e->code ? "AADSTS" + std::to_string(e->code) : e->error;
    c.ev["status"] = e->status;
    c.ev["error"] = e->error;
    if (e->code) c.ev["error_code"] = e->code;
    events_.add("token.error", std::move(c.ev));
  } else {
    a.body = std::move(std::get<nlohmann::ordered_json>(result));
    c.ev["outcome"] = "issued";
    c.ev["status"] = 200;
    if (c.unsigned_token.empty()) {
      events_.add("token.issued", std::move(c.ev));
    } else {  // the event is recorded once the token exists (its fingerprint is in it)
      a.finish = [this, input = std::move(c.unsigned_token), ev = std::move(c.ev)](std::string& body) mutable {
        std::string token = minter_.sign(std::move(input));
        auto at = body.find(deferred_token);
        if (at != std::string::npos) body.replace(at, deferred_token.size(), token);
        ev["token"] = fingerprint(token);
        events_.add("token.issued", std::move(ev));
      };
    }
  }
  return a;
}

nlohmann::ordered_json token_service::issue_delegated(call& c, const delegated_issue& d,
                                                      const delegated_grant& g) {
  access_request ar;
  ar.audience = g.scopes.audience;
  ar.appidacr = d.appidacr;
  ar.amr = d.amr;
  ar.scp = g.scp;
  auto at = minter_.access_token(*d.a, d.u, ar, c.now);
  nlohmann::ordered_json body;
  body["token_type"] = "Bearer";
  body["scope"] = g.response_scope;
  body["expires_in"] = at.expires_in;
  body["ext_expires_in"] = at.expires_in;
  body["access_token"] = at.token;
  if (g.scopes.offline_access) {
    refresh_record rr;
    rr.client_id = d.a->client_id;
    rr.upn = d.u->upn;
    rr.scope = d.rt_scope.empty() ? g.scopes.raw : d.rt_scope;
    rr.amr = d.amr;
    rr.family = d.family.empty() ? random_guid() : d.family;
    rr.issued_at = rr.last_used_at = c.now;
    c.ev["refresh_family"] = rr.family;
    std::string rt = store_.add_refresh(std::move(rr));
    c.ev["new_refresh_token"] = fingerprint(rt);
    body["refresh_token"] = std::move(rt);
  }
  if (g.scopes.openid)
    body["id_token"] = minter_.id_token(*d.a, *d.u, issuer_for(t_.tenant_id), d.nonce, c.now);
  if (c.form.value("client_info") == "1") body["client_info"] = minter_.client_info(*d.u);
  c.ev["upn"] = d.u->upn;
  c.ev["aud"] = ar.audience;
  c.ev["token"] = fingerprint(at.token);
  c.ev["lifetime_s"] = at.expires_in;
  return body;
}

}  // namespace mh::fake
