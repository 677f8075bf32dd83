// The authorization-code grant with PKCE (exchange-facts §5.4), browserless: the authorize
// endpoint signs in the `login_hint` user (or the first enabled user with a password) at
// once and answers 302 to redirect_uri?code=…&state=…. Until the redirect URI is known to be
// registered, errors are a 400 JSON page (as Entra shows its own error page); after that
// they travel to the redirect URI (error, error_description, state). Codes live
// auth_code_lifetime_s (70008 after), are single use (54005), and check the PKCE verifier
// (S256 or plain; 501481) and the redirect URI (50011).
#include <openssl/evp.h>

#include <cctype>

#include "core/base64.hpp"
#include "core/redact.hpp"
#include "identity/client_auth.hpp"
#include "identity/token_call.hpp"

namespace mh::fake {
namespace {

// Entra ignores the port of loopback redirect URIs (native apps listen on any port).
std::string without_loopback_port(std::string_view uri) {
  for (std::string_view host : {"http://localhost:", "http://127.0.0.1:", "http://[::1]:"}) {
    if (!uri.starts_with(host)) continue;
    std::size_t end = host.size();
    while (end < uri.size() && std::isdigit(static_cast<unsigned char>(uri[end]))) ++end;
    return std::string(host.substr(0, host.size() - 1)) + std::string(uri.substr(end));
  }
  return std::string(uri);
}

bool registered(const app& a, std::string_view uri) {
  for (const auto& r : a.redirect_uris)
    if (r == uri || without_loopback_port(r) == without_loopback_port(uri)) return true;
  return false;
}

std::string s256(std::string_view verifier) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(verifier.data(), verifier.size(), md, &n, EVP_sha256(), nullptr);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(md), n));
}

std::string append_params(std::string uri, bool fragment, const form_params& p) {
  std::string q;
  for (const auto& [k, v] : p.items()) q += (q.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(v);
  char sep = fragment ? '#' : (uri.find('?') == std::string::npos ? '?' : '&');
  return uri + sep + q;
}

}  // namespace

service_answer token_service::authorize(const service_request& r) {
  std::lock_guard lock(mu_);
  auto ids = ids_for(r);
  std::int64_t t = now();
  service_answer ans;
  ans.trace_id = ids.trace_id;
  auto page_error = [&](const aad_error& e) {
    ans.status = e.status;
    ans.body = error_body(e, ids, t);
    events_.add("authorize.error", {{"tenant", r.tenant}, {"error_code", e.code}});
    return ans;
  };
  std::string why;
  auto q = parse_form(r.query, &why);
  if (!q) return page_error(aadsts::malformed_request(why));
  auto tenant_ok = resolve_tenant(r.tenant);
  if (auto e = error_of(tenant_ok)) return page_error(*e);
  auto found = find_client(t_, q->value("client_id"));
  if (auto e = error_of(found)) return page_error(*e);
  const app* a = value_of(found);
  std::string redirect = q->value("redirect_uri");
  if (redirect.empty()) return page_error(aadsts::missing_parameter("redirect_uri"));
  if (!registered(*a, redirect)) return page_error(aadsts::redirect_uri_mismatch(redirect, a->client_id));

  bool fragment = q->value("response_mode") == "fragment";
  auto redirect_error = [&](const aad_error& e) {
    form_params p;
    // A missing consent is "consent_required" at the authorize endpoint.
    p.add("error", e.code == 65001 ? "consent_required" : e.error);
    p.add("error_description", error_description(e, ids, t));
    if (q->has("state")) p.add("state", q->value("state"));
    ans.status = 302;
    ans.location = append_params(redirect, fragment, p);
    events_.add("authorize.error", {{"tenant", r.tenant}, {"client_id", a->client_id},
                                    {"error_code", e.code}});
    return ans;
  };
  std::string response_type = q->value("response_type");
  if (response_type != "code") return redirect_error(aadsts::unsupported_response_type(response_type));
  std::string challenge = q->value("code_challenge");
  std::string method = q->has("code_challenge_method") ? q->value("code_challenge_method") : "plain";
  if (!challenge.empty() && method != "S256" && method != "plain")
    return redirect_error(aadsts::malformed_request("Unsupported code_challenge_method '" + method + "'."));
  auto scopes = delegated_scopes(t_, q->value("scope"));
  if (auto e = error_of(scopes)) return redirect_error(*e);
  std::string upn = q->value("login_hint");
  if (upn.empty())
    if (const user* du = default_user(t_)) upn = du->upn;
  auto u = sign_in(t_, upn, nullptr, value_of(scopes).resource);
  if (auto e = error_of(u)) return redirect_error(*e);
  auto g = grant_delegated(*a, value_of(scopes));
  if (auto e = error_of(g)) return redirect_error(*e);

  code_record cr;
  cr.client_id = a->client_id;
  cr.redirect_uri = redirect;
  cr.scope = q->value("scope");
  cr.upn = value_of(u)->upn;
  cr.amr = amr_for(*value_of(u), true);
  cr.code_challenge = challenge;
  cr.challenge_method = challenge.empty() ? "" : method;
  cr.nonce = q->value("nonce");
  cr.expires_at = t + cfg_.auth_code_lifetime_s;
  std::string code = store_.add_code(std::move(cr), t);
  form_params p;
  p.add("code", code);
  if (q->has("state")) p.add("state", q->value("state"));
  if (q->value("client_info") == "1") p.add("client_info", minter_.client_info(*value_of(u)));
  p.add("session_state", random_guid());
  ans.status = 302;
  ans.location = append_params(redirect, fragment, p);
  events_.add("authorize.code_issued", {{"tenant", r.tenant}, {"client_id", a->client_id},
                                        {"upn", value_of(u)->upn}, {"code", fingerprint(code)},
                                        {"pkce", challenge.empty() ? "none" : method}});
  return ans;
}

outcome<nlohmann::ordered_json> token_service::grant_authorization_code(call& c) {
  auto id = authenticate(c, true);
  if (auto e = error_of(id)) return *e;
  const app& a = *value_of(id).a;
  const std::string* code = c.form.get("code");
  if (!code) return aadsts::missing_parameter("code");
  c.ev["code"] = fingerprint(*code);
  code_record* cr = store_.find_code(*code);
  if (!cr || !iequal(cr->client_id, a.client_id)) return aadsts::code_invalid();
  if (cr->redeemed) return aadsts::code_redeemed();
  if (c.now >= cr->expires_at) return aadsts::code_expired();
  const std::string* redirect = c.form.get("redirect_uri");
  if (!redirect) return aadsts::missing_parameter("redirect_uri");
  if (*redirect != cr->redirect_uri) return aadsts::redirect_uri_mismatch(*redirect, a.client_id);
  if (!cr->code_challenge.empty()) {
    const std::string* verifier = c.form.get("code_verifier");
    std::string derived = !verifier ? "" : cr->challenge_method == "S256" ? s256(*verifier) : *verifier;
    c.ev["pkce"] = cr->challenge_method;
    if (!verifier || derived != cr->code_challenge) return aadsts::pkce_mismatch();
  }
  auto scopes = delegated_scopes(t_, cr->scope);
  if (auto e = error_of(scopes)) return *e;
  auto u = sign_in(t_, cr->upn, nullptr, value_of(scopes).resource);
  if (auto e = error_of(u)) return *e;
  auto g = grant_delegated(a, std::move(value_of(scopes)));
  if (auto e = error_of(g)) return *e;
  cr->redeemed = true;
  delegated_issue d;
  d.a = &a;
  d.u = value_of(u);
  d.appidacr = value_of(id).appidacr;
  d.amr = cr->amr;
  d.nonce = cr->nonce;
  return issue_delegated(c, d, value_of(g));
}

}  // namespace mh::fake
