#include "identity/aadsts.hpp"

#include "identity/ids.hpp"

namespace mh::fake {
namespace {

std::string s(std::string_view v) { return std::string(v); }

aad_error make(int status, const char* error, int code, std::string text,
               std::string suberror = {}) {
  return {status, error, code, std::move(text), std::move(suberror)};
}

aad_error client_error(int code, std::string text) {
  return make(401, "invalid_client", code, std::move(text));
}

aad_error grant_error(int code, std::string text, std::string suberror = {}) {
  return make(400, "invalid_grant", code, std::move(text), std::move(suberror));
}

aad_error request_error(int code, std::string text) {
  return make(400, "invalid_request", code, std::move(text));
}

constexpr const char* cert_docs =
    "Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/"
    "active-directory-certificate-credentials .";

}  // namespace

std::string error_description(const aad_error& e, const request_ids& ids, std::int64_t now) {
  std::string head = e.code ? "AADSTS" + std::to_string(e.code) + ": " + e.text : e.text;
  return head + "\r\nTrace ID: " + ids.trace_id + "\r\nCorrelation ID: " + ids.correlation_id +
         "\r\nTimestamp: " + format_timestamp(now);
}

nlohmann::ordered_json error_body(const aad_error& e, const request_ids& ids, std::int64_t now) {
  nlohmann::ordered_json j;
  j["error"] = e.error;
  j["error_description"] = error_description(e, ids, now);
  if (e.code) j["error_codes"] = nlohmann::ordered_json::array({e.code});
  j["timestamp"] = format_timestamp(now);
  j["trace_id"] = ids.trace_id;
  j["correlation_id"] = ids.correlation_id;
  if (e.code) j["error_uri"] = "https://login.microsoftonline.com/error?code=" + std::to_string(e.code);
  if (!e.suberror.empty()) j["suberror"] = e.suberror;
  return j;
}

namespace aadsts {

aad_error invalid_client_secret(std::string_view client_id) {
  return client_error(7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request "
                      "is the client secret value, not the client secret ID, for a secret added to "
                      "app '" + s(client_id) + "'.");
}

aad_error expired_client_secret(std::string_view client_id) {
  return client_error(7000222, "The provided client secret keys for app '" + s(client_id) +
                                   "' are expired. Visit the Azure portal to create new keys for "
                                   "your app: https://aka.ms/NewClientSecret, or consider using "
                                   "certificate credentials for added security: "
                                   "https://aka.ms/certCreds.");
}

aad_error missing_client_credential() {
  return client_error(7000218,
                      "The request body must contain the following parameter: 'client_assertion' "
                      "or 'client_secret'.");
}

aad_error public_client_credential() {
  return client_error(700025,
                      "Client is public so neither 'client_assertion' nor 'client_secret' should "
                      "be presented.");
}

aad_error assertion_key_not_registered(std::string_view thumbprint_hex,
                                       std::string_view client_id) {
  return client_error(
      700027, "The certificate with identifier used to sign the client assertion is not "
              "registered on application. [Reason - The key was not found., Thumbprint of key "
              "used by client: '" + s(thumbprint_hex) +
                  "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to "
                  "see configured keys for app Id '" + s(client_id) + "'.]");
}

aad_error assertion_key_expired(std::string_view thumbprint_hex) {
  return client_error(700027, "Client assertion contains an invalid signature. [Reason - The key "
                              "used is expired., Thumbprint of key used by client: '" +
                                  s(thumbprint_hex) + "']");
}

aad_error assertion_bad_signature(std::string_view thumbprint_hex) {
  return client_error(700027,
                      "Client assertion contains an invalid signature. [Reason - The provided "
                      "signature value did not match the expected signature value., Thumbprint of "
                      "key used by client: '" + s(thumbprint_hex) + "']");
}

aad_error assertion_malformed() { return client_error(50027, "JWT token is invalid or malformed."); }

aad_error assertion_audience() {
  // Seen on the wire as 700023 (AzureAD/microsoft-authentication-library-for-dotnet#2746).
  return client_error(700023, std::string("Client assertion audience claim does not match Realm "
                                          "issuer. ") + cert_docs);
}

aad_error assertion_time_range(std::int64_t now, std::int64_t nbf, std::int64_t exp) {
  return client_error(700024, "Client assertion is not within its valid time range. Current "
                              "time: " + format_iso(now) + ", assertion valid from " +
                                  format_iso(nbf) + ", expiry time of assertion " +
                                  format_iso(exp) + ". " + cert_docs);
}

aad_error app_not_found(std::string_view client_id, std::string_view directory) {
  return make(400, "unauthorized_client", 700016,
              "Application with identifier '" + s(client_id) +
                  "' was not found in the directory '" + s(directory) +
                  "'. This can happen if the application has not been installed by the "
                  "administrator of the tenant or consented to by any user in the tenant. You may "
                  "have sent your authentication request to the wrong tenant.");
}

aad_error app_id_malformed(std::string_view client_id) {
  return make(400, "unauthorized_client", 700038,
              s(client_id) + " is not a valid application identifier.");
}

aad_error conflicting_credentials() {
  return make(400, "invalid_request", 0,
              "Only one client credential may be presented: client_secret, client_assertion or "
              "HTTP Basic (RFC 6749 §2.3).");
}

aad_error tenant_not_found(std::string_view segment) {
  return make(400, "invalid_tenant", 90002,
              "Tenant '" + s(segment) +
                  "' not found. Check to make sure you have the correct tenant ID and are signing "
                  "into the correct cloud. Check with your subscription administrator, this may "
                  "happen if there are no active subscriptions for the tenant.");
}

aad_error tenant_malformed(std::string_view segment) {
  return request_error(900023, "Specified tenant identifier '" + s(segment) +
                                   "' is neither a valid DNS name, nor a valid external domain.");
}

aad_error grant_not_over_common() {
  return request_error(9001023,
                       "The grant type is not supported over the /common or /consumers "
                       "endpoints. Please use the /organizations or tenant-specific endpoint.");
}

aad_error resource_not_found(std::string_view resource, std::string_view tenant_name) {
  return make(400, "invalid_resource", 500011,
              "The resource principal named " + s(resource) + " was not found in the tenant named " +
                  s(tenant_name) +
                  ". This can happen if the application has not been installed by the "
                  "administrator of the tenant or consented to by any user in the tenant. You "
                  "might have sent your authentication request to the wrong tenant.");
}

aad_error invalid_scope(std::string_view scope) {
  return make(400, "invalid_scope", 70011,
              "The provided value for the input parameter 'scope' is not valid. The scope " +
                  s(scope) + " is not valid.");
}

aad_error client_credentials_scope(std::string_view scope) {
  return make(400, "invalid_scope", 1002012,
              "The provided value for scope " + s(scope) +
                  " is not valid. Client credential flows must have a scope value with /.default "
                  "suffixed to the resource identifier (application ID URI).");
}

aad_error multiple_resources(std::string_view scope) {
  return make(400, "invalid_scope", 700022,
              "The provided value for the input parameter scope is not valid because it contains "
              "more than one resource. Scope " + s(scope) + " is not valid.");
}

aad_error resource_not_in_registration(std::string_view client_id, std::string_view name,
                                       std::string_view resource) {
  return make(401, "invalid_client", 650057,
              "Invalid resource. The client has requested access to a resource which is not "
              "listed in the requested permissions in the client's application registration. "
              "Client app ID: " + s(client_id) + "(" + s(name) + "). Resource value from request: " +
                  s(resource) + ".");
}

aad_error consent_required(std::string_view client_id, std::string_view name) {
  return grant_error(65001, "The user or administrator has not consented to use the application "
                            "with ID '" + s(client_id) + "' named '" + s(name) +
                                "'. Send an interactive authorization request for this user and "
                                "resource.",
                     "consent_required");
}

aad_error user_not_found(std::string_view tenant_id) {
  return grant_error(50034, "The user account {EUII Hidden} does not exist in the " +
                                s(tenant_id) +
                                " directory. To sign into this application, the account must be "
                                "added to the directory.");
}

aad_error user_disabled() { return grant_error(50057, "The user account is disabled."); }

aad_error bad_password() {
  return grant_error(50126, "Error validating credentials due to invalid username or password.");
}

aad_error no_password() {
  return grant_error(50056, "Invalid or null password: password does not exist in the directory "
                            "for this user.");
}

aad_error mfa_required(std::string_view resource) {
  return grant_error(50076, "Due to a configuration change made by your administrator, or because "
                            "you moved to a new location, you must use multi-factor "
                            "authentication to access '" + s(resource) + "'.",
                     "basic_action");
}

aad_error blocked_by_conditional_access() {
  return grant_error(53003, "Access has been blocked by Conditional Access policies. The access "
                            "policy does not allow token issuance.",
                     "message_only");
}

aad_error refresh_token_invalid() {
  return grant_error(70000, "The provided value for the input parameter 'refresh_token' or "
                            "'assertion' is not valid.");
}

aad_error refresh_scope_not_granted() {
  return grant_error(70000, "The request was denied because one or more scopes requested are "
                            "unauthorized or expired. The user must first sign in and grant the "
                            "client application access to the requested scope.");
}

aad_error refresh_token_inactive(std::int64_t issued, std::int64_t inactivity_s) {
  return grant_error(700082, "The refresh token has expired due to inactivity. The token was "
                             "issued on " + format_iso(issued) + " and was inactive for " +
                                 format_timespan(inactivity_s) + ".",
                     "bad_token");
}

aad_error grant_revoked(std::int64_t issued, std::int64_t valid_from) {
  return grant_error(50173, "The provided grant has expired due to it being revoked, a fresh auth "
                            "token is needed. The user might have changed or reset their "
                            "password. The grant was issued on '" + format_iso(issued) +
                                "' and the TokensValidFrom date (before which tokens are not "
                                "valid) for this user is '" + format_iso(valid_from) + "'.");
}

aad_error code_invalid() {
  return grant_error(70000, "Transmission data parser failure: Authorization Code is malformed or "
                            "invalid.");
}

aad_error code_redeemed() {
  return grant_error(54005, "OAuth2 Authorization code was already redeemed, please retry with a "
                            "new valid code or use an existing refresh token.");
}

aad_error code_expired() {
  return grant_error(70008, "The provided authorization code or refresh token has expired due to "
                            "inactivity. Send a new interactive authorization request for this "
                            "user and resource.");
}

aad_error pkce_mismatch() {
  return grant_error(501481, "The Code_Verifier does not match the code_challenge supplied in the "
                             "authorization request.");
}

aad_error redirect_uri_mismatch(std::string_view uri, std::string_view client_id) {
  return request_error(50011, "The redirect URI '" + s(uri) +
                                  "' specified in the request does not match the redirect URIs "
                                  "configured for the application '" + s(client_id) +
                                  "'. Make sure the redirect URI sent in the request matches one "
                                  "added to your application in the Azure portal. Navigate to "
                                  "https://aka.ms/redirectUriMismatchError to learn more about how "
                                  "to fix this.");
}

aad_error unsupported_response_type(std::string_view type) {
  return make(400, "unsupported_response_type", 700054,
              "response_type '" + s(type) + "' is not enabled for the application.");
}

aad_error authorization_pending() {
  return make(400, "authorization_pending", 70016,
              "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
}

aad_error bad_verification_code() {
  return make(400, "bad_verification_code", 70018,
              "Invalid verification code. The device code was not recognised.");
}

aad_error device_code_expired() {
  return make(400, "expired_token", 70019, "Verification code expired.");
}

aad_error authorization_declined() {
  // Entra's code for a declined device sign-in is not documented; 65004 is "user declined
  // to consent to access the app" (unverified as the device-flow code).
  return make(400, "authorization_declined", 65004, "User declined to consent to access the app.");
}

aad_error missing_parameter(std::string_view name) {
  return request_error(900144,
                       "The request body must contain the following parameter: '" + s(name) + "'.");
}

aad_error unsupported_grant_type(std::string_view grant) {
  return make(400, "unsupported_grant_type", 70003,
              "The app requested an unsupported grant type '" + s(grant) + "'.");
}

aad_error post_only(std::string_view method) {
  return request_error(900561, "The endpoint only accepts POST requests. Received a " + s(method) +
                                   " request.");
}

aad_error malformed_request(std::string_view reason) {
  return make(400, "invalid_request", 0, s(reason));
}

aad_error fault(int http_status) {
  // Unverified texts: Entra's throttling and outage bodies are rarely published.
  switch (http_status) {
    case 429:
      return make(429, "temporarily_unavailable", 90055,
                  "There are too many incoming requests. Please try again later.");
    case 500:
      return make(500, "server_error", 50000,
                  "There was an error issuing a token or an issue with our sign-in service.");
    case 503:
      return make(503, "temporarily_unavailable", 90033,
                  "A transient error has occurred. Please try again.");
    default:
      return make(http_status, http_status >= 500 ? "server_error" : "invalid_request", 0,
                  "Injected fault: HTTP " + std::to_string(http_status) + ".");
  }
}

}  // namespace aadsts
}  // namespace mh::fake
