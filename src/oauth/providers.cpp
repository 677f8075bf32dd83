#include "oauth/providers.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/redact.hpp"
#include "oauth/pkce.hpp"

namespace mh::oauth {
namespace {

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

token_result transport_failure(const http_outcome& o) {
  token_result r;
  r.ec = o.ec;
  r.message = o.error;
  r.attempts = o.attempts;
  return r;
}

}  // namespace

std::string endpoint_config::token_endpoint() const {
  return trim_slash(authority) + "/" + tenant + "/oauth2/v2.0/token";
}

std::string endpoint_config::devicecode_endpoint() const {
  return trim_slash(authority) + "/" + tenant + "/oauth2/v2.0/devicecode";
}

std::string endpoint_config::authorize_endpoint() const {
  return trim_slash(authority) + "/" + tenant + "/oauth2/v2.0/authorize";
}

token_client::token_client(endpoint_config e, http_client& http, unix_clock_fn clock)
    : e_(std::move(e)), http_(http), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

token_result token_client::post_token(form_fields f, const client_auth& a) {
  std::vector<std::string> headers;
  f.emplace_back("client_id", e_.client_id);
  if (a.type == client_auth::kind::secret) {
    if (a.basic) {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      std::string pair = url_encode(e_.client_id) + ":" + url_encode(a.secret.reveal());
      secret_string value(base64_encode(pair));
      std::fill(pair.begin(), pair.end(), '\0');
      headers.push_back("Authorization: Basic " + std::string(value.reveal()));
    } else {
      f.emplace_back("client_secret", std::string(a.secret.reveal()));
    }
  } else if (a.type == client_auth::kind::certificate) {
    std::string why;
    auto assertion = make_client_assertion(a.cert, e_.client_id, e_.token_endpoint(), clock_(), &why);
    if (!assertion) {
      token_result r;
      r.ec = errc::config_invalid;
      r.message = why;
      return r;
    }
    f.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    f.emplace_back("client_assertion", std::string(assertion->reveal()));
  }
  // A misbehaving server or proxy may echo the request into its error text: every secret
  // we send (and its URL-encoded form) is redacted from what we report.
  redactor secrets;
  for (const auto& [k, v] : f) {
    if (k == "client_secret" || k == "password" || k == "refresh_token" || k == "client_assertion" ||
        k == "device_code" || k == "code" || k == "code_verifier") {
      secrets.add(v, k);
      secrets.add(url_encode(v), k);
    }
  }
  http_outcome o = http_.post_form(e_.token_endpoint(), f, std::move(headers));
  // The form held secrets: wipe our copies (post_form wipes the body and the headers it sent).
  for (auto& [k, v] : f) std::fill(v.begin(), v.end(), '\0');
  if (o.ec) return transport_failure(o);
  // Redact before parsing: the message quotes the start of an error body, and a cut secret
  // would no longer be recognised.
  if (o.response.status != 200) o.response.body = secrets.apply(o.response.body);
  token_result r = parse_token_response(o.response.status, o.response.content_type, o.response.body);
  std::fill(o.response.body.begin(), o.response.body.end(), '\0');
  r.attempts = o.attempts;
  r.sent_at = o.sent_at;
  if (r.ec && !r.aad) r.message = "POST " + url_for_display(e_.token_endpoint()) + ": " + r.message;
  r.message = secrets.apply(r.message);
  if (r.aad) r.aad->description = secrets.apply(r.aad->description);
  r.endpoint = "POST " + url_for_display(e_.token_endpoint());
  return r;
}

token_result token_client::client_credentials(const client_auth& a, const std::string& scope) {
  return post_token({{"grant_type", "client_credentials"}, {"scope", scope}}, a);
}

token_result token_client::refresh(const client_auth& a, const secret_string& refresh_token,
                                   const std::string& scope) {
  // scope is sent on every refresh (DESIGN §6): Entra otherwise picks the first resource.
  return post_token({{"grant_type", "refresh_token"},
                     {"refresh_token", std::string(refresh_token.reveal())},
                     {"scope", scope}},
                    a);
}

token_result token_client::password(const client_auth& a, const std::string& username,
                                    const secret_string& password, const std::string& scope) {
  return post_token({{"grant_type", "password"}, {"username", username},
                     {"password", std::string(password.reveal())}, {"scope", scope}},
                    a);
}

token_result token_client::device_code(const client_auth& a, const std::string& scope,
                                       const std::function<void(const device_prompt&)>& show,
                                       const sleep_fn& sleep) {
  http_outcome o = http_.post_form(e_.devicecode_endpoint(),
                                   {{"client_id", e_.client_id}, {"scope", scope}});
  std::string where = "POST " + url_for_display(e_.devicecode_endpoint()) + ": ";
  if (o.ec) return transport_failure(o);
  if (o.response.status != 200) {
    token_result r = parse_token_response(o.response.status, o.response.content_type, o.response.body);
    if (!r.aad) r.message = where + r.message;
    r.endpoint = where.substr(0, where.size() - 2);
    return r;
  }
  auto j = nlohmann::json::parse(o.response.body, nullptr, false);
  auto bad = [&](const std::string& why) {
    token_result r;
    r.ec = errc::bad_token_response;
    r.message = where + why;
    r.endpoint = where.substr(0, where.size() - 2);
    return r;
  };
  if (!j.is_object()) return bad("device code response is not a JSON object");
  auto s = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  secret_string device(s("device_code"));
  device_prompt p;
  p.user_code = s("user_code");
  p.verification_uri = s("verification_uri");
  p.message = s("message");
  if (device.empty() || p.user_code.empty()) return bad("device code response lacks device_code or user_code");
  if (j.contains("interval") && j["interval"].is_number_integer()) p.interval_s = j["interval"].get<int>();
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) p.expires_in_s = j["expires_in"].get<int>();
  if (p.interval_s < 1) p.interval_s = 1;
  if (p.message.empty())
    p.message = "To sign in, open " + p.verification_uri + " and enter the code " + p.user_code + ".";
  show(p);
  // Deadline on the clock we were given, plus a poll budget so a stopped clock cannot loop forever.
  std::int64_t deadline = clock_() + p.expires_in_s;
  int interval = p.interval_s;
  long long waited = 0;
  for (;;) {
    sleep(std::chrono::seconds(interval));
    waited += interval;
    token_result r = post_token({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                                 {"device_code", std::string(device.reveal())}},
                                a);
    if (!r.aad) return r;  // tokens, or a transport/format failure
    const std::string& err = r.aad->error;
    if (err == "authorization_pending") {
    } else if (err == "slow_down") {
      interval += 5;  // RFC 8628 §3.5
    } else {
      return r;  // expired_token, authorization_declined, bad_verification_code, others
    }
    if (clock_() >= deadline || waited >= p.expires_in_s) {
      r.message = "the device code expired before the sign-in was completed (" + r.message + ")";
      return r;
    }
  }
}

token_result token_client::redeem_code(const client_auth& a, const secret_string& code,
                                       const std::string& redirect_uri, const secret_string& code_verifier,
                                       const std::string& scope) {
  form_fields f{{"grant_type", "authorization_code"}, {"code", std::string(code.reveal())},
                {"redirect_uri", redirect_uri}};
  if (!code_verifier.empty()) f.emplace_back("code_verifier", std::string(code_verifier.reveal()));
  if (!scope.empty()) f.emplace_back("scope", scope);
  return post_token(std::move(f), a);
}

token_result token_client::auth_code(const client_auth& a, const auth_code_options& o, const navigate_fn& navigate) {
  loopback_redirect listener(o.listener);
  std::string why;
  if (auto ec = listener.listen(&why)) {
    token_result r;
    r.ec = ec;
    r.message = why;
    return r;
  }
  return auth_code(a, o, listener, navigate);
}

token_result token_client::auth_code(const client_auth& a, const auth_code_options& o, loopback_redirect& listener,
                                     const navigate_fn& navigate) {
  auto fail = [](std::error_code ec, std::string message) {
    token_result r;
    r.ec = ec;
    r.message = std::move(message);
    return r;
  };
  // RFC 8252 §7.3 names the IP literal; Entra registers and MSAL uses "localhost" for native
  // apps. The listener is IPv4 only, so "[::1]" is not offered.
  if (o.redirect_host != "localhost" && o.redirect_host != "127.0.0.1")
    return fail(errc::config_invalid, "redirect host must be localhost or 127.0.0.1, not '" + o.redirect_host + "'");
  if (listener.port() == 0) return fail(errc::internal, "auth_code: the loopback listener is not listening");
  auto pkce = make_pkce();
  auto state = make_state();
  if (!pkce || !state) return fail(errc::internal, "the system random generator failed (RAND_bytes)");
  std::string redirect = listener.redirect_uri(o.redirect_host);
  authorize_request q{e_.authorize_endpoint(), e_.client_id, redirect, o.scope, *state,
                      pkce->challenge, o.login_hint, o.prompt};
  navigate(authorize_url(q));
  redirect_result rr = listener.wait(*state);
  if (rr.ec == errc::token_request_denied)
    return authorize_error(rr, "GET " + url_for_display(e_.authorize_endpoint()));
  if (rr.ec) return fail(rr.ec, rr.message);
  return redeem_code(a, rr.code, redirect, pkce->verifier, o.scope);
}

}  // namespace mh::oauth
