// Token providers (exchange-facts §5): client credentials (secret or certificate), refresh
// token, password (ROPC), device code and authorization code with PKCE over a loopback
// redirect, against {authority}/{tenant}/oauth2/v2.0/….
// Synchronous, over http_client (retries, timeouts, size cap). Every result is a value:
// tokens, or an error with the AADSTS details when the endpoint said no. Secrets travel as
// secret_string and never appear in messages.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/secret.hpp"
#include "oauth/assertion.hpp"
#include "oauth/authorize.hpp"
#include "oauth/http_client.hpp"
#include "oauth/loopback_redirect.hpp"
#include "oauth/token_response.hpp"

namespace mh::oauth {

inline constexpr const char* default_authority = "https://login.microsoftonline.com";
inline constexpr const char* app_only_scope = "https://outlook.office365.com/.default";
inline constexpr const char* delegated_scope =
    "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All "
    "https://outlook.office.com/SMTP.Send offline_access";

struct endpoint_config {
  std::string authority = default_authority;  // no trailing slash needed
  std::string tenant;                         // GUID, domain, organizations, …
  std::string client_id;
  std::string token_endpoint() const;       // {authority}/{tenant}/oauth2/v2.0/token
  std::string devicecode_endpoint() const;  // {authority}/{tenant}/oauth2/v2.0/devicecode
  std::string authorize_endpoint() const;   // {authority}/{tenant}/oauth2/v2.0/authorize
};

// How a confidential client proves itself; none for public clients.
struct client_auth {
  enum class kind { none, secret, certificate } type = kind::none;
  secret_string secret;
  bool basic = false;  // send the secret as HTTP Basic (RFC 6749 §2.3.1) instead of in the body
  certificate_credential cert;
};

// What the device code endpoint answered (shown to the user through the callback).
struct device_prompt {
  std::string user_code;
  std::string verification_uri;
  std::string message;
  int interval_s = 5;
  int expires_in_s = 900;
};

class token_client {
 public:
  // `http` and `clock` must outlive the client.
  token_client(endpoint_config e, http_client& http, unix_clock_fn clock = {});

  token_result client_credentials(const client_auth& a, const std::string& scope);
  token_result refresh(const client_auth& a, const secret_string& refresh_token,
                       const std::string& scope);
  token_result password(const client_auth& a, const std::string& username,
                        const secret_string& password, const std::string& scope);
  // Requests a device code, calls `show`, then polls at the server's interval: keeps going on
  // authorization_pending, adds 5 s on slow_down, stops on expired_token,
  // authorization_declined, bad_verification_code or any other error, and when the code's
  // lifetime has passed. `sleep` waits between polls (tests inject one that does not wait).
  token_result device_code(const client_auth& a, const std::string& scope,
                           const std::function<void(const device_prompt&)>& show,
                           const sleep_fn& sleep);
  // Authorization code with PKCE S256 (RFC 7636, RFC 8252): opens a loopback listener
  // (o.listener), calls `navigate` with the authorize URL (redirect_uri
  // http://<o.redirect_host>:<port><path>, a fresh state and verifier), waits for the
  // browser's redirect, then redeems the code. Errors: config_invalid (listener cannot
  // bind, bad redirect_host), internal (no random bytes), timed_out / operation_canceled /
  // bad_token_response (state mismatch) from the listener, token_request_denied with `aad`
  // for an error on the redirect (consent_required, AADSTS65001, …) or at the token endpoint.
  token_result auth_code(const client_auth& a, const auth_code_options& o, const navigate_fn& navigate);
  // The same with a listener the caller opened with listen() (its port is known before
  // navigating; it may be cancel()ed from another thread); o.listener is not used.
  token_result auth_code(const client_auth& a, const auth_code_options& o, loopback_redirect& listener,
                         const navigate_fn& navigate);
  // Redeems an authorization code (grant_type=authorization_code): the back half of
  // auth_code, also for a code obtained elsewhere. `redirect_uri` must be the one of the
  // authorize request; `code_verifier` empty when the request had no code_challenge.
  token_result redeem_code(const client_auth& a, const secret_string& code, const std::string& redirect_uri,
                           const secret_string& code_verifier, const std::string& scope);

  const endpoint_config& endpoint() const { return e_; }

 private:
  token_result post_token(form_fields f, const client_auth& a);
  endpoint_config e_;
  http_client& http_;
  unix_clock_fn clock_;
};

}  // namespace mh::oauth
