#include "run_target.hpp"

#include <curl/curl.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "core/error.hpp"
#include "core/json_doc.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "fake_exchange.hpp"
#include "metrics/histogram.hpp"
#include "net/tls.hpp"
#include "oauth/providers.hpp"
#include "oauth/token_manager.hpp"
#include "report/render.hpp"
#include "session/login.hpp"
#include "session/token_await.hpp"
#include "embedded_fake.hpp"
#include "run_target.hpp"
#include "error_tally.hpp"
#include "findings.hpp"
#include "token_config.hpp"

namespace mh::fake {
extern const std::string_view demo_tenant_json;
}

namespace mh::cli {

using json = nlohmann::json;

namespace {

// The fake options one scenario asks for (state dir, token lifetime, faults, tenant patch).
fake::fake_options scenario_fake_options(const std::string& state_dir, const scenario& s) {
  fake::fake_options o;
  o.state_dir = state_dir;
  if (s.fake.token_lifetime_s) o.token_lifetime_s = *s.fake.token_lifetime_s;
  o.mail.auth_failure_delay = std::chrono::milliseconds(s.fake.auth_failure_delay_ms.value_or(0));
  for (const auto& f : s.fake.mail_faults) o.faults.push_back(fake::fault_from_json(f));
  if (!s.fake.tenant_patch.is_null()) {
    json t = json_doc(fake::demo_tenant_json, "<demo tenant>").root();
    patch_tenant(t, s.fake.tenant_patch);
    std::string path = state_dir + "/tenant-" + s.id + ".json";
    write_file_atomically(path, t.dump(2));
    o.tenant_file = path;
  }
  return o;
}

// The "browser" of an auth-code sign-in: GET the authorize URL and follow its redirects
// (the fake signs the login_hint user in at once) to the loopback listener.
void browse(const std::string& url, const std::string& ca) {
  CURL* c = curl_easy_init();
  if (!c) return;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char*, size_t n, size_t m, void*) { return n * m; });
  curl_easy_perform(c);
  curl_easy_cleanup(c);
}

}  // namespace

// A fake Exchange on its own thread, set up as one scenario says.
std::unique_ptr<embedded_fake> start_scenario_fake(const std::string& state_dir, const scenario& s) {
  auto f = std::make_unique<embedded_fake>(scenario_fake_options(state_dir, s));
  if (s.fake.token_fault) {
    std::string why;
    auto tf = fake::token_faults::from_json(*s.fake.token_fault, &why);
    if (!tf) throw config_error(s.file, 0, 0, "/fake/token_fault", why);
    f->fx().identity().faults().set(*tf);
  }
  return f;
}

std::string skip_reason(const scenario& s, target_kind kind) {
  if (kind == target_kind::embedded) return {};
  if (kind == target_kind::profile && !s.needs.empty())
    return "needs the fake (its controls, verdicts or tenant model): not run against a real tenant";
  if (!s.expect.verdicts.empty() || s.expect.expired_uses)
    return "needs the embedded fake: verdicts are judged on a fresh fake per case";
  for (const auto& n : s.needs) {
    if (n == "tenant-model")
      return "needs the embedded fake: it changes the tenant or uses credentials other than the demo app";
    if (n == "fake" && (!s.fake.tenant_patch.is_null() || s.fake.token_lifetime_s || s.fake.auth_failure_delay_ms))
      return "needs the embedded fake: it changes the fake's settings";
  }
  return {};
}

std::unique_ptr<case_tokens> make_tokens(const scenario& s, const json& ready, fake::fake_exchange* fx,
                                         const std::map<std::string, std::string>& vars) {
  auto t = std::make_unique<case_tokens>();
  const token_setup& ts = s.token;
  if (ts.flow == "static") {
    t->static_token = secret_string(substitute(ts.static_token, vars));
    return t;
  }
  if (ready.contains("profile")) {  // a real tenant: the profile's credential and flow
    token_options to;
    to.profile = ready["profile"].get<std::string>();
    to.no_cache = true;
    t->profile_credential = make_credential(resolve_credential(to, "client-credentials"), std::cerr);
    t->manager = t->profile_credential->manager.get();
    t->client_id = t->profile_credential->cred.endpoint.client_id;
    return t;
  }
  std::string authority = ready.at("authority").get<std::string>();
  auto slash = authority.find('/', authority.find("//") + 2);
  oauth::endpoint_config ep;
  ep.authority = authority.substr(0, slash);
  ep.tenant = authority.substr(slash + 1);
  oauth::client_auth auth;
  bool delegated = ts.flow != "client-credentials";
  std::string app_key = ts.app == "good" && delegated ? "good-public" : ts.app;
  if (fx) {
    const fake::app* a = nullptr;
    for (const auto& x : fx->tenant_model().apps)
      if (x.key == app_key) a = &x;
    if (!a) throw config_error(s.file, 0, 0, "/token/app", "no app \"" + app_key + "\" in the tenant");
    ep.client_id = a->client_id;
    if (!a->secrets.empty() && !a->public_client) {
      auth.type = oauth::client_auth::kind::secret;
      auth.secret = a->secrets.front().value;
    }
  } else {
    const json& app = ready.at("demo").at("app");
    ep.client_id = app.at("client_id").get<std::string>();
    auth.type = oauth::client_auth::kind::secret;
    auth.secret = secret_string(app.at("client_secret").get<std::string>());
  }
  t->client_id = ep.client_id;
  oauth::http_options ho;
  ho.ca_file = ready.at("ca_file").get<std::string>();
  ho.total_timeout = std::chrono::seconds(30);
  t->http = std::make_unique<oauth::http_client>(ho);
  t->client = std::make_unique<oauth::token_client>(ep, *t->http);
  oauth::token_client* tc = t->client.get();
  oauth::token_source src;
  std::string scope = delegated ? oauth::delegated_scope : oauth::app_only_scope;
  if (ts.flow == "client-credentials") {
    src.sign_in = [tc, auth, scope] { return tc->client_credentials(auth, scope); };
  } else if (ts.flow == "password") {
    std::string upn = substitute(ts.user, vars);
    secret_string pw;
    for (const auto& u : fx->tenant_model().users)
      if (u.upn == upn) pw = u.password;
    t->account = upn;
    src.sign_in = [tc, auth, scope, upn, pw] { return tc->password(auth, upn, pw, scope); };
  } else if (ts.flow == "auth-code") {
    std::string upn = substitute(ts.user, vars);
    t->account = upn;
    std::string ca = ho.ca_file;
    src.sign_in = [tc, auth, scope, upn, ca] {
      oauth::auth_code_options ao;
      ao.scope = scope;
      ao.login_hint = upn;
      ao.listener.timeout = std::chrono::seconds(30);
      std::thread browser;
      auto r = tc->auth_code(auth, ao, [&browser, ca](const std::string& url) {
        // The "browser": fetch the authorize URL and follow its redirect to our listener.
        browser = std::thread([url, ca] { browse(url, ca); });
      });
      if (browser.joinable()) browser.join();
      return r;
    };
  } else if (ts.flow == "device-code") {
    std::string upn = substitute(ts.user, vars);
    t->account = upn;
    std::string control = ready.value("control", "");
    std::string ca = ho.ca_file;
    src.sign_in = [tc, auth, scope, upn, control, ca] {
      return tc->device_code(
          auth, scope,
          [&](const oauth::device_prompt& p) {
            // The "user": approve the code at the fake's control endpoint.
            oauth::http_options bo;
            bo.ca_file = ca;
            oauth::http_client b(bo);
            json body = {{"user_code", p.user_code}, {"upn", upn}};
            b.perform({"POST", control + "/devicecode/approve", body.dump(), {"Content-Type: application/json"}});
          },
          [](std::chrono::milliseconds) {});
    };
  }
  if (delegated) src.redeem = [tc, auth, scope](const secret_string& rt) { return tc->refresh(auth, rt, scope); };
  oauth::cache_key key{ep.authority, ep.tenant, ep.client_id, scope, t->account};
  t->own_manager = std::make_unique<oauth::token_manager>(key, std::move(src), oauth::refresh_policy{});
  t->manager = t->own_manager.get();
  return t;
}

}  // namespace mh::cli
