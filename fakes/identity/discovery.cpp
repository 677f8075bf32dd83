// Metadata endpoints (exchange-facts §5.8): the v2.0 openid-configuration (members in the
// order of recorded Entra bodies, endpoints pointing at this server), the JWKS, and what
// MSAL asks a custom authority for: instance discovery (/common/discovery/instance) and the
// user realm (/common/userrealm/<user>, "Managed" for the tenant's domain).
#include "identity/token_call.hpp"

namespace mh::fake {
namespace {

service_answer metadata(nlohmann::ordered_json body) {
  service_answer a;
  a.body = std::move(body);
  a.cache = service_answer::caching::metadata;
  return a;
}

}  // namespace

service_answer token_service::openid_configuration(const service_request& r) {
  std::lock_guard lock(mu_);
  auto generic = resolve_tenant(r.tenant);
  if (auto e = error_of(generic)) return error_answer(*e, r);
  // Tenant-specific documents name the tenant id; common ones keep Entra's template.
  bool common = value_of(generic);
  std::string seg = common ? r.tenant : t_.tenant_id;
  std::string issuer_tenant = common ? "{tenantid}" : t_.tenant_id;
  nlohmann::ordered_json j;
  j["token_endpoint"] = endpoint(seg, "oauth2/v2.0/token");
  j["token_endpoint_auth_methods_supported"] = {"client_secret_post", "private_key_jwt",
                                                "client_secret_basic"};
  j["jwks_uri"] = endpoint(seg, "discovery/v2.0/keys");
  j["response_modes_supported"] = {"query", "fragment", "form_post"};
  j["subject_types_supported"] = {"pairwise"};
  j["id_token_signing_alg_values_supported"] = {"RS256"};
  j["response_types_supported"] = {"code", "id_token", "code id_token", "id_token token"};
  j["scopes_supported"] = {"openid", "profile", "email", "offline_access"};
  j["issuer"] = issuer_for(issuer_tenant);
  j["request_uri_parameter_supported"] = false;
  j["userinfo_endpoint"] = "https://graph.microsoft.com/oidc/userinfo";
  j["authorization_endpoint"] = endpoint(seg, "oauth2/v2.0/authorize");
  j["device_authorization_endpoint"] = endpoint(seg, "oauth2/v2.0/devicecode");
  j["http_logout_supported"] = true;
  j["frontchannel_logout_supported"] = true;
  j["end_session_endpoint"] = endpoint(seg, "oauth2/v2.0/logout");
  j["claims_supported"] = {"sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                           "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat",
                           "auth_time", "acr", "nonce", "preferred_username", "name", "tid",
                           "ver", "at_hash", "c_hash", "email"};
  j["kerberos_endpoint"] = endpoint(seg, "kerberos");
  j["tenant_region_scope"] = "WW";
  j["cloud_instance_name"] = "microsoftonline.com";
  j["cloud_graph_host_name"] = "graph.windows.net";
  j["msgraph_host"] = "graph.microsoft.com";
  j["rbac_url"] = "https://pas.windows.net";
  return metadata(std::move(j));
}

service_answer token_service::keys(const service_request& r) {
  std::lock_guard lock(mu_);
  auto generic = resolve_tenant(r.tenant);
  if (auto e = error_of(generic)) return error_answer(*e, r);
  std::string tn = value_of(generic) ? "{tenantid}" : t_.tenant_id;
  return metadata(keys_.jwks(issuer_for(tn)));
}

service_answer token_service::instance_discovery(const service_request& r) {
  std::lock_guard lock(mu_);
  auto q = parse_form(r.query);
  std::string auth = q ? q->value("authorization_endpoint") : std::string();
  std::string host = base_url_.substr(base_url_.find("://") + 3);
  auto fail = [&](const aad_error& e) { return error_answer(e, r); };
  if (auth.empty()) return fail(aadsts::missing_parameter("authorization_endpoint"));
  // This server, with or without its port: MSAL for Python drops the port of a custom
  // authority when it builds this parameter.
  std::string bare = host.substr(0, host.rfind(':'));
  std::string path;
  for (const std::string& h : {host, bare})
    if (auth.size() > 9 + h.size() && iequal(auth.substr(0, 8 + h.size() + 1), "https://" + h + "/"))
      path = auth.substr(8 + h.size() + 1);
  if (path.empty()) {
    aad_error e{400, "invalid_instance", 50049, "Unknown or invalid instance.", {}};
    return fail(e);
  }
  std::string prefix = base_url_ + "/";
  std::string seg = path.substr(0, path.find('/'));
  bool v2 = path.find("/oauth2/v2.0/") != std::string::npos;
  nlohmann::ordered_json j;
  j["tenant_discovery_endpoint"] =
      prefix + seg + (v2 ? "/v2.0" : "") + "/.well-known/openid-configuration";
  j["api-version"] = q->has("api-version") ? q->value("api-version") : "1.1";
  j["metadata"] = nlohmann::ordered_json::array(
      {{{"preferred_network", host}, {"preferred_cache", host}, {"aliases", {host, bare}}}});
  return metadata(std::move(j));
}

service_answer token_service::user_realm(const service_request& r, std::string_view username) {
  (void)r;
  std::lock_guard lock(mu_);
  auto at = username.rfind('@');
  std::string_view domain = at == std::string_view::npos ? username : username.substr(at + 1);
  // A domain of the tenant: its own, or the domain of one of its users' UPNs.
  bool ours = !domain.empty() && t_.matches(domain);
  for (const auto& u : t_.users) {
    auto ua = u.upn.rfind('@');
    ours |= !domain.empty() && ua != std::string::npos && iequal(u.upn.substr(ua + 1), domain);
  }
  nlohmann::ordered_json j;
  j["ver"] = "1.0";
  if (ours) {
    j["account_type"] = "Managed";
    j["domain_name"] = t_.domain;
    j["cloud_instance_name"] = "microsoftonline.com";
    j["cloud_audience_urn"] = "urn:federation:MicrosoftOnline";
  } else {
    j["account_type"] = "Unknown";
    j["cloud_instance_name"] = "microsoftonline.com";
  }
  return metadata(std::move(j));
}

}  // namespace mh::fake
