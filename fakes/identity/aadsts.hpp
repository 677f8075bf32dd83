// The AADSTS error catalogue of the fake identity platform and the error body Entra sends
// (exchange-facts §5.7, §6): {"error", "error_description": "AADSTS<n>: <text>\r\nTrace ID:
// <guid>\r\nCorrelation ID: <guid>\r\nTimestamp: YYYY-MM-DD HH:MM:SSZ", "error_codes": [n],
// "timestamp", "trace_id", "correlation_id", "error_uri"}; HTTP 401 for invalid_client, 400
// otherwise. Texts follow real bodies where one was found; entries marked "unverified" are
// our best reading of the error-code reference. Texts never contain secrets.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace mh::fake {

struct aad_error {
  int status = 400;       // HTTP status
  std::string error;      // OAuth 2.0 error value
  int code = 0;           // AADSTS number; 0 for fake-only protocol errors (no AADSTS prefix)
  std::string text;       // the text after "AADSTS<n>: "
  std::string suberror;   // optional "suberror" member
};

// A value or the AADSTS error that refused it.
template <class T>
using outcome = std::variant<T, aad_error>;

template <class T>
const aad_error* error_of(const outcome<T>& o) { return std::get_if<aad_error>(&o); }
template <class T>
T& value_of(outcome<T>& o) { return std::get<T>(o); }

struct request_ids {
  std::string trace_id;        // also sent as x-ms-request-id
  std::string correlation_id;  // the client's client-request-id when it sent a GUID
};

// "AADSTS<n>: <text>\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …".
std::string error_description(const aad_error& e, const request_ids& ids, std::int64_t now);
// The full JSON error body, members in Entra's order.
nlohmann::ordered_json error_body(const aad_error& e, const request_ids& ids, std::int64_t now);

namespace aadsts {

// client authentication
aad_error invalid_client_secret(std::string_view client_id);                // 7000215
aad_error expired_client_secret(std::string_view client_id);                // 7000222
aad_error missing_client_credential();                                      // 7000218
aad_error public_client_credential();                                       // 700025
aad_error assertion_key_not_registered(std::string_view thumbprint_hex,
                                       std::string_view client_id);         // 700027
aad_error assertion_key_expired(std::string_view thumbprint_hex);           // 700027
aad_error assertion_bad_signature(std::string_view thumbprint_hex);         // 700027
aad_error assertion_malformed();                                            // 50027
aad_error assertion_audience();                                             // 700023
aad_error assertion_time_range(std::int64_t now, std::int64_t nbf, std::int64_t exp);  // 700024
aad_error app_not_found(std::string_view client_id, std::string_view directory);  // 700016
aad_error app_id_malformed(std::string_view client_id);                     // 700038
aad_error conflicting_credentials();                                        // fake-only

// tenant
aad_error tenant_not_found(std::string_view segment);                       // 90002
aad_error tenant_malformed(std::string_view segment);                       // 900023
aad_error grant_not_over_common();                                          // 9001023

// scope, resource, consent
aad_error resource_not_found(std::string_view resource, std::string_view tenant_name);  // 500011
aad_error invalid_scope(std::string_view scope);                            // 70011
aad_error client_credentials_scope(std::string_view scope);                 // 1002012
aad_error multiple_resources(std::string_view scope);                       // 700022
aad_error resource_not_in_registration(std::string_view client_id, std::string_view name,
                                       std::string_view resource);          // 650057
aad_error consent_required(std::string_view client_id, std::string_view name);  // 65001

// users
aad_error user_not_found(std::string_view tenant_id);                       // 50034
aad_error user_disabled();                                                  // 50057
aad_error bad_password();                                                   // 50126
aad_error no_password();                                                    // 50056
aad_error mfa_required(std::string_view resource);                          // 50076
aad_error blocked_by_conditional_access();                                  // 53003

// refresh tokens and codes
aad_error refresh_token_invalid();                                          // 70000
aad_error refresh_scope_not_granted();                                      // 70000
aad_error refresh_token_inactive(std::int64_t issued, std::int64_t inactivity_s);  // 700082
aad_error grant_revoked(std::int64_t issued, std::int64_t valid_from);      // 50173
aad_error code_invalid();                                                   // 70000
aad_error code_redeemed();                                                  // 54005
aad_error code_expired();                                                   // 70008
aad_error pkce_mismatch();                                                  // 501481
aad_error redirect_uri_mismatch(std::string_view uri, std::string_view client_id);  // 50011
aad_error unsupported_response_type(std::string_view type);                 // 700054

// device code flow
aad_error authorization_pending();                                          // 70016
aad_error bad_verification_code();                                          // 70018
aad_error device_code_expired();                                            // 70019
aad_error authorization_declined();                                         // 65004 (unverified)

// request shape
aad_error missing_parameter(std::string_view name);                         // 900144
aad_error unsupported_grant_type(std::string_view grant);                   // 70003
aad_error post_only(std::string_view method);                               // 900561
aad_error malformed_request(std::string_view reason);                       // fake-only

// injected faults (token endpoint)
aad_error fault(int http_status);  // 429 throttled, 500 server_error, 503 unavailable, …

}  // namespace aadsts
}  // namespace mh::fake
