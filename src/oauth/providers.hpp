// Token providers (exchange-facts §5): client credentials (secret or certificate), refresh
// token, password (ROPC) and device code, against {authority}/{tenant}/oauth2/v2.0/….
// Synchronous, over http_client (retries, timeouts, size cap). Every result is a value:
// tokens, or an error with the AADSTS details when the endpoint said no. Secrets travel as
// secret_string and never appear in messages.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/secret.hpp"
#include "oauth/assertion.hpp"
#include "oauth/http_client.hpp"
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

  const endpoint_config& endpoint() const { return e_; }

 private:
  token_result post_token(form_fields f, const client_auth& a);
  endpoint_config e_;
  http_client& http_;
  unix_clock_fn clock_;
};

}  // namespace mh::oauth
