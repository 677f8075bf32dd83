#include "oauth/authorize.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"

namespace mh::oauth {
namespace {

// The value of "<label>: value" on its own line of an Entra error_description trailer.
std::string trailer_field(const std::string& description, const std::string& label) {
  std::size_t at = description.find("\n" + label + ": ");
  if (at == std::string::npos) return {};
  at += label.size() + 3;
  std::size_t end = description.find_first_of("\r\n", at);
  return description.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

std::string authorize_url(const authorize_request& r) {
  std::string u = r.endpoint;
  auto add = [&](const char* k, const std::string& v) {
    u += (u.find('?') == std::string::npos ? '?' : '&');
    u += k;
    u += '=';
    u += url_encode(v);
  };
  add("client_id", r.client_id);
  add("response_type", "code");
  add("redirect_uri", r.redirect_uri);
  add("response_mode", "query");
  add("scope", r.scope);
  add("state", r.state);
  add("code_challenge", r.code_challenge);
  add("code_challenge_method", "S256");
  if (!r.login_hint.empty()) add("login_hint", r.login_hint);
  if (!r.prompt.empty()) add("prompt", r.prompt);
  return u;
}

token_result authorize_error(const redirect_result& r, const std::string& endpoint) {
  nlohmann::json body = {{"error", r.error}, {"error_description", r.error_description}};
  if (!r.error_uri.empty()) body["error_uri"] = r.error_uri;
  token_result out;
  out.ec = errc::token_request_denied;
  out.endpoint = endpoint;
  out.aad = parse_aad_error(302, body.dump());
  if (!out.aad) {  // unreachable: the body is built above
    out.message = r.message;
    return out;
  }
  out.aad->trace_id = trailer_field(r.error_description, "Trace ID");
  out.aad->correlation_id = trailer_field(r.error_description, "Correlation ID");
  out.aad->timestamp = trailer_field(r.error_description, "Timestamp");
  out.message = out.aad->summary();
  // The summary names the HTTP status; here the error arrived on the browser's redirect.
  if (auto at = out.message.find(" (HTTP 302)"); at != std::string::npos)
    out.message.replace(at, 11, " (authorize redirect)");
  return out;
}

}  // namespace mh::oauth
