// The front half of the authorization-code flow (exchange-facts §5.4; RFC 6749 §4.1,
// RFC 7636, RFC 8252): the authorize URL a browser opens, the options of
// token_client::auth_code, and the error an authorization server redirects back
// (RFC 6749 §4.1.2.1) as a token_result with the AADSTS details. Pure functions, no I/O.
#pragma once

#include <functional>
#include <string>

#include "oauth/loopback_redirect.hpp"
#include "oauth/token_response.hpp"

namespace mh::oauth {

struct authorize_request {
  std::string endpoint;        // {authority}/{tenant}/oauth2/v2.0/authorize
  std::string client_id;
  std::string redirect_uri;
  std::string scope;
  std::string state;
  std::string code_challenge;  // S256 (code_challenge_method=S256 is always sent)
  std::string login_hint;      // optional
  std::string prompt;          // optional: login, consent, select_account, none
};

// endpoint?client_id=…&response_type=code&redirect_uri=…&response_mode=query&scope=…&state=…
// &code_challenge=…&code_challenge_method=S256[&login_hint=…][&prompt=…], RFC 3986 encoded.
std::string authorize_url(const authorize_request& r);

// A redirect that carried `error` as a token_result: ec token_request_denied; `aad` with the
// error, the AADSTS code of error_description, the description without its trailer, the
// trace and correlation IDs and timestamp of that trailer, error_uri; http_status 302 (the
// authorize endpoint's answer). `endpoint` is what token_result::endpoint reports.
token_result authorize_error(const redirect_result& r, const std::string& endpoint);

// Opens the authorize URL: the CLI prints it and may start a browser; tests fetch it. It
// runs before the listener waits, on the same thread: it must not block on the redirect.
using navigate_fn = std::function<void(const std::string& authorize_url)>;

struct auth_code_options {
  std::string scope;                        // e.g. delegated_scope (offline_access: refresh token)
  std::string login_hint;                   // optional
  std::string prompt;                       // optional
  std::string redirect_host = "localhost";  // "localhost" (Entra's and MSAL's registration) or "127.0.0.1"
  loopback_options listener;                // port (0: any), path, timeouts
};

}  // namespace mh::oauth
