// The fake Microsoft identity platform without its HTTP server: every endpoint as a function
// from a request to an answer (status, JSON, redirect), so the rules can be exercised with
// or without sockets. identity_server.hpp puts it behind HTTPS.
//
// Endpoints (exchange-facts §5): token (client_credentials, refresh_token, device_code,
// authorization_code + PKCE, password), devicecode, authorize (browserless: signs in the
// login_hint user), openid-configuration, keys, MSAL's instance discovery and user realm.
// {tenant} is the tenant id or domain, or common/organizations/consumers as Entra has them.
// Every token request is recorded in the event log (never a secret: fingerprints only):
//   token.issued / token.error  grant, client_id, tenant, scope, outcome ("issued" or
//       "AADSTS<n>"), status, aud, token and refresh-token fingerprints, lifetime_s,
//       refresh_token_reused, scope_sent (refresh), fault (an injected failure)
//   devicecode.issued|error|approved|declined|sign_in_failed, authorize.code_issued|error
//
// Thread safety: all members may be called from any thread; calls are serialised.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "identity/aadsts.hpp"
#include "identity/delegated.hpp"
#include "identity/grant_store.hpp"
#include "identity/http_form.hpp"
#include "identity/identity_config.hpp"
#include "identity/key_store.hpp"
#include "identity/scopes.hpp"
#include "identity/token_minter.hpp"
#include "observe/events.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

struct service_request {
  std::string method;             // "GET", "POST", …
  std::string tenant;             // the {tenant} path segment, percent-decoded
  std::string query;              // the raw query string
  std::string content_type;
  std::string body;
  std::string authorization;      // the Authorization header
  std::string client_request_id;  // MSAL's client-request-id header (becomes the correlation id)
};

struct service_answer {
  enum class caching { no_store, metadata };
  int status = 200;
  nlohmann::ordered_json body;    // the JSON body, unless `location` is set
  std::string location;           // a 302 redirect
  std::vector<std::pair<std::string, std::string>> headers;
  caching cache = caching::no_store;
  std::string trace_id;           // x-ms-request-id
  // Work left for a worker thread before the answer is sent (signing the access token): it
  // gets the serialized body. Empty for most answers.
  std::function<void(std::string& body)> finish;
};

class token_service {
 public:
  token_service(tenant& t, event_log& events, const key_store& keys, identity_config cfg);

  // "https://<public_host>:<port>", known once the listener is bound.
  void set_base_url(std::string url);
  std::string base_url() const;
  // "<base>/<tenant id>/v2.0": `issuer` of discovery, JWKS and ID tokens.
  std::string oidc_issuer() const;
  // "https://sts.windows.net/<tenant id>/": `iss` of access tokens.
  std::string access_token_issuer() const;
  std::int64_t now() const { return cfg_.clock(); }

  // `injected`: answer with this error instead (a fault), still recording the request.
  service_answer token(const service_request& r, const aad_error* injected = nullptr);
  service_answer devicecode(const service_request& r);
  service_answer authorize(const service_request& r);
  service_answer openid_configuration(const service_request& r);
  service_answer keys(const service_request& r);
  service_answer instance_discovery(const service_request& r);
  service_answer user_realm(const service_request& r, std::string_view username);

  // Control API: the user signs in on the device-login page (approve) or cancels (deny).
  // body {"user_code": …, "upn": … (optional: the first enabled user with a password)}.
  service_answer device_decision(const nlohmann::json& body, bool approve);

  // An AADSTS error answer with fresh trace and correlation ids.
  service_answer error_answer(const aad_error& e, const service_request& r);

 private:
  struct call;  // one token request being served
  // Stands in the body for an access token signed later (service_answer::finish).
  static constexpr std::string_view deferred_token = "mh-fake-deferred-access-token";
  using grant_fn = outcome<nlohmann::ordered_json> (token_service::*)(call&);

  request_ids ids_for(const service_request& r) const;
  // true for common/organizations/consumers; errors 90002/900023 for unknown tenants.
  outcome<bool> resolve_tenant(std::string_view segment) const;
  std::vector<std::string> assertion_audiences(std::string_view segment) const;
  outcome<struct client_identity> authenticate(call& c, bool public_allowed);
  std::string endpoint(std::string_view segment, std::string_view path) const;
  // "<base>/<tenant>/v2.0" ("{tenantid}" for the common endpoints); mu_ held.
  std::string issuer_for(std::string_view tenant) const;

  // grants (one file each)
  outcome<nlohmann::ordered_json> grant_client_credentials(call& c);
  outcome<nlohmann::ordered_json> grant_password(call& c);
  outcome<nlohmann::ordered_json> grant_refresh(call& c);
  outcome<nlohmann::ordered_json> grant_device_code(call& c);
  outcome<nlohmann::ordered_json> grant_authorization_code(call& c);

  // The success body of every delegated grant; stores a new refresh token when asked.
  struct delegated_issue {
    const app* a = nullptr;
    const user* u = nullptr;
    std::string appidacr;
    std::vector<std::string> amr;
    std::string nonce;
    std::string family;    // refresh-token family to continue (empty: a new sign-in)
    std::string rt_scope;  // scope remembered by the new refresh token (empty: the grant's)
  };
  nlohmann::ordered_json issue_delegated(call& c, const delegated_issue& d,
                                         const delegated_grant& g);

  tenant& t_;
  event_log& events_;
  const key_store& keys_;
  identity_config cfg_;
  token_minter minter_;
  grant_store store_;
  std::string base_url_;
  mutable std::mutex mu_;
};

}  // namespace mh::fake
