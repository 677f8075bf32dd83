// Token endpoint answers (exchange-facts §5): the success JSON of every grant and the Entra
// error shape, parsed into values. Never throws, whatever the bytes: non-JSON, truncated JSON,
// missing fields, wrong content type, an HTML error page all become a clear error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/secret.hpp"

namespace mh::oauth {

// A structured Entra error (exchange-facts §5.7).
struct aad_error {
  long http_status = 0;
  std::string error;        // OAuth "error": invalid_client, invalid_grant, …
  long long code = 0;       // AADSTS number: error_codes[0], else the description prefix
  std::string description;  // without the "\r\nTrace ID: … Timestamp: …" trailer
  std::string trace_id;
  std::string correlation_id;
  std::string timestamp;
  std::string suberror;
  std::string error_uri;
  // "AADSTS7000215 invalid_client (HTTP 401): Invalid client secret provided. …"
  std::string summary() const;
};

// Parses an error body; fields absent from the JSON stay empty. nullopt if `body` is not a
// JSON object with a string "error".
std::optional<aad_error> parse_aad_error(long http_status, std::string_view body);

struct token_set {
  secret_string access_token;
  std::string token_type;
  std::int64_t expires_in = 0;              // seconds, from the response
  std::optional<std::int64_t> ext_expires_in;
  std::optional<std::int64_t> refresh_in;   // seconds, when the server sent it
  secret_string refresh_token;              // empty if none was issued
  std::string scope;
  secret_string id_token;
};

struct token_result {
  std::error_code ec;           // token_request_denied, bad_token_response, or transport
  std::string message;          // one line for the user; never contains a secret
  std::optional<token_set> tokens;
  std::optional<aad_error> aad; // set when the endpoint answered with an OAuth error
  int attempts = 0;             // HTTP attempts (retries included)
  std::int64_t sent_at = 0;     // unix seconds when the attempt that answered was sent (lifetimes count from it)
  std::string endpoint;         // "POST https://host/tenant/oauth2/v2.0/token" (no query)
  bool ok() const { return !ec && tokens.has_value(); }
};

// Interprets an HTTP answer of the token endpoint. 200 with a valid body → tokens; a JSON
// error body → token_request_denied with `aad`; anything else → bad_token_response naming
// the status, content type and what was wrong.
token_result parse_token_response(long status, std::string_view content_type, std::string_view body);

}  // namespace mh::oauth
