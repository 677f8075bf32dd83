#include "token_config.hpp"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>

#include "core/files.hpp"
#include "core/json_doc.hpp"
#include "exit_codes.hpp"
#include "oauth/authorize.hpp"

extern char** environ;

namespace mh::cli {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Only a trailing newline is removed (passwords may contain spaces). Never echoes the value.
secret_string read_secret(const std::string& file, const std::string& var, const std::string& what) {
  std::string v;
  if (!file.empty()) {
    if (file == "-") {
      std::getline(std::cin, v);
    } else {
      std::string why;
      auto t = read_file_bounded(file, 64 * 1024, &why);
      if (!t) throw usage_error(what + ": " + why);
      v = std::move(*t);
    }
  } else {
    const char* e = std::getenv(var.c_str());
    if (!e) throw usage_error(what + ": environment variable " + var + " is not set");
    v = e;
  }
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  if (v.empty())
    throw usage_error(what + " is empty (" + (file.empty() ? "environment variable " + var : "file " + file) + ")");
  return secret_string(std::move(v));
}

int run_guarded(const char* command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const usage_error& e) {
    std::cerr << "mailharness " << command << ": " << e.what() << "\n";
  } catch (const config_error& e) {
    std::cerr << "mailharness " << command << ": " << e.what() << "\n";
  }
  return exit_usage;
}

void add_token_options(CLI::App* cmd, token_options& o, bool with_profile, bool token_command) {
  auto* g = cmd;
  std::vector<std::string> flows(std::begin(token_flows), std::end(token_flows));
  g->add_option("--flow", o.flow, "client-credentials, device-code, refresh-token, auth-code or password")
      ->check(CLI::IsMember(flows));
  if (with_profile)
    g->add_option("--profile", o.profile,
                  "tenant profile: a profile file, a fake's ready file, or a built-in cloud (worldwide, "
                  "usgov-gcchigh, usgov-dod, china)");
  g->add_option("--tenant", o.tenant, "tenant ID or domain (default AZURE_TENANT_ID)");
  g->add_option("--client-id", o.client_id, "application (client) ID (default AZURE_CLIENT_ID)");
  auto* se = g->add_option("--client-secret-env", o.secret_env, "environment variable holding the client secret");
  auto* sf = g->add_option("--client-secret-file", o.secret_file, "file holding the client secret ('-' = stdin)");
  auto* ce = g->add_option("--certificate", o.certificate,
                           "PEM file with the client certificate (and the key, unless --private-key)");
  g->add_option("--private-key", o.private_key, "PEM file with the certificate's private key")->needs(ce);
  g->add_option("--assertion-alg", o.alg, "PS256 (default) or RS256")->check(CLI::IsMember({"PS256", "RS256"}));
  g->add_flag("--client-secret-basic", o.secret_basic, "send the client secret as HTTP Basic");
  se->excludes(sf)->excludes(ce);
  sf->excludes(ce);
  g->add_option("--refresh-token-file", o.refresh_token_file, "file holding a refresh token ('-' = stdin)");
  g->add_option("--username", o.username, "user principal name (password flow; login hint; cache account)");
  auto* pe = g->add_option("--password-env", o.password_env, "environment variable holding the password");
  g->add_option("--password-file", o.password_file, "file holding the password ('-' = stdin)")->excludes(pe);
  g->add_option("--scope", o.scope, "space-separated scopes (default per flow, for Exchange)");
  g->add_option("--authority", o.authority,
                "authority URL (default AZURE_AUTHORITY_HOST or https://login.microsoftonline.com); "
                "may include the tenant");
  // `token` talks to the token endpoint only, so its TLS options need no prefix.
  g->add_option(token_command ? "--ca-file,--token-ca-file" : "--token-ca-file", o.ca_file, "PEM file of CAs trusted for the token endpoint")
      ->check(CLI::ExistingFile);
  g->add_flag(token_command ? "--insecure,--token-insecure" : "--token-insecure", o.insecure, "do not verify the token endpoint's certificate");
  auto* cf = g->add_option("--cache", o.cache, "token cache file (default ~/.cache/mailharness/tokens.json)");
  g->add_flag("--no-cache", o.no_cache, "neither read nor write the token cache")->excludes(cf);
  g->add_option("--refresh-margin", o.margin,
                "seconds of lifetime a token must have left to be used (default 600; capped at half "
                "the token's lifetime)")
      ->check(CLI::Range(0, 86400));
  g->add_option(token_command ? "--timeout,--token-timeout" : "--token-timeout", o.timeout, "seconds for each token endpoint request")
      ->check(CLI::Range(0.1, 600.0));
  g->add_flag("--no-browser", o.no_browser, "auth-code: print the sign-in URL, do not start a browser");
  g->add_option("--redirect-port", o.redirect_port, "auth-code: loopback redirect port (default: any free port)")
      ->check(CLI::Range(0, 65535));
}

void apply_profile(token_options& o, const profile& p) {
  auto fill = [](std::string& field, const std::string& v) {
    if (field.empty()) field = v;
  };
  // An authority given on the command line replaces the profile's tenant too.
  if (o.authority.empty()) {
    fill(o.authority, p.authority);
    fill(o.tenant, p.tenant);
  }
  fill(o.client_id, p.client_id);
  fill(o.flow, p.flow);
  fill(o.username, p.username);
  fill(o.ca_file, p.ca_file);
  bool have_credential = !o.secret_env.empty() || !o.secret_file.empty() || !o.certificate.empty();
  if (!have_credential) {
    fill(o.secret_env, p.secret_env);
    fill(o.secret_file, p.secret_file);
    fill(o.certificate, p.certificate);
    fill(o.private_key, p.private_key);
  }
  fill(o.alg, p.assertion_alg);
  if (o.password_env.empty() && o.password_file.empty()) {
    fill(o.password_env, p.password_env);
    fill(o.password_file, p.password_file);
  }
  fill(o.refresh_token_file, p.refresh_token_file);
  if (o.scope.empty() && !p.scope.empty()) o.scope = p.scope;
}

namespace {

oauth::endpoint_config resolve_endpoint(const token_options& a) {
  oauth::endpoint_config e;
  std::string auth = !a.authority.empty() ? a.authority : env_or_empty("AZURE_AUTHORITY_HOST");
  if (auth.empty()) auth = oauth::default_authority;
  while (!auth.empty() && auth.back() == '/') auth.pop_back();
  // Plain http only on loopback (tests, local fakes): credentials never cross a network in clear.
  bool loopback_http = auth.starts_with("http://127.0.0.1") || auth.starts_with("http://localhost") ||
                       auth.starts_with("http://[::1]");
  if (!auth.starts_with("https://") && !loopback_http)
    throw usage_error("--authority must be an https:// URL (http:// only on loopback), not \"" + auth + "\"");
  std::string tenant = !a.tenant.empty() ? a.tenant : env_or_empty("AZURE_TENANT_ID");
  auto slash = auth.find('/', auth.find("//") + 2);
  if (slash != std::string::npos) {
    std::string in_url = auth.substr(slash + 1);
    if (!a.tenant.empty() && a.tenant != in_url)
      throw usage_error("--authority names tenant \"" + in_url + "\" but --tenant is \"" + a.tenant + "\"");
    tenant = in_url;
    auth.erase(slash);
  }
  if (tenant.empty()) throw usage_error("no tenant: give --tenant T or set AZURE_TENANT_ID");
  e.authority = auth;
  e.tenant = tenant;
  e.client_id = !a.client_id.empty() ? a.client_id : env_or_empty("AZURE_CLIENT_ID");
  if (e.client_id.empty()) throw usage_error("no client id: give --client-id ID or set AZURE_CLIENT_ID");
  return e;
}

// Client credentials need a credential (options, else AZURE_CLIENT_SECRET or
// AZURE_CLIENT_CERTIFICATE_PATH); the delegated flows use one only when given by option,
// since public clients must not send any (AADSTS700025).
oauth::client_auth resolve_auth(const token_options& a, bool required, const secret_string& inline_secret) {
  oauth::client_auth c;
  c.basic = a.secret_basic;
  std::string cert = a.certificate, key = a.private_key;
  if (!a.secret_env.empty() || !a.secret_file.empty()) {
    c.type = oauth::client_auth::kind::secret;
    c.secret = read_secret(a.secret_file, a.secret_env, "client secret");
    return c;
  }
  if (cert.empty() && required) {
    if (!inline_secret.empty()) {
      c.type = oauth::client_auth::kind::secret;
      c.secret = inline_secret;
      return c;
    }
    if (std::getenv("AZURE_CLIENT_SECRET")) {
      c.type = oauth::client_auth::kind::secret;
      c.secret = read_secret("", "AZURE_CLIENT_SECRET", "client secret");
      return c;
    }
    cert = env_or_empty("AZURE_CLIENT_CERTIFICATE_PATH");
  }
  if (!cert.empty()) {
    std::string why;
    auto cc = oauth::load_certificate(cert, key, &why);
    if (!cc) throw usage_error("client certificate: " + why);
    c.type = oauth::client_auth::kind::certificate;
    c.cert = std::move(*cc);
    c.cert.alg = a.alg.empty() ? "PS256" : a.alg;
    return c;
  }
  if (required)
    throw usage_error("client credentials need a secret or a certificate: --client-secret-env VAR, "
                      "--client-secret-file F, --certificate F --private-key F, or the environment "
                      "variable AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
  return c;
}

std::string default_cache_path() {
  std::string base = env_or_empty("XDG_CACHE_HOME");
  if (base.empty()) {
    std::string home = env_or_empty("HOME");
    if (home.empty()) throw usage_error("no HOME: give --cache FILE or --no-cache");
    base = home + "/.cache";
  }
  ::mkdir(base.c_str(), 0700);
  std::string dir = base + "/mailharness";
  ::mkdir(dir.c_str(), 0700);
  return dir + "/tokens.json";
}

// Starts the desktop's browser without waiting for it; failure is not an error (the URL
// has been printed).
void start_browser(const std::string& url) {
  pid_t pid = 0;
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  if (::posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char**>(argv), environ) == 0) {
    std::thread([pid] { ::waitpid(pid, nullptr, 0); }).detach();
  }
}

}  // namespace

credential resolve_credential(const token_options& in, const std::string& default_flow) {
  token_options o = in;
  secret_string inline_secret;
  std::optional<profile> prof;
  if (!o.profile.empty()) {
    prof = resolve_profile(o.profile);
    apply_profile(o, *prof);
    inline_secret = prof->fake_secret;
  }
  credential c;
  c.flow = !o.flow.empty() ? o.flow : default_flow;
  if (c.flow.empty()) throw usage_error("no token flow: give --flow (or a profile that names one)");
  bool app_only = c.flow == "client-credentials";
  c.endpoint = resolve_endpoint(o);
  c.auth = resolve_auth(o, app_only, inline_secret);
  if (!o.scope.empty()) c.scope = o.scope;
  else if (prof) c.scope = app_only ? prof->app_only_scope() : prof->delegated_scope();
  else c.scope = app_only ? oauth::app_only_scope : oauth::delegated_scope;
  c.username = o.username;
  if (c.flow == "password") {
    if (c.username.empty()) throw usage_error("--flow password needs --username U");
    if (o.password_env.empty() && o.password_file.empty())
      throw usage_error("--flow password needs --password-env VAR or --password-file F");
  }
  c.password_env = o.password_env;
  c.password_file = o.password_file;
  c.refresh_token_file = o.refresh_token_file;
  c.http.ca_file = o.ca_file;
  c.http.insecure = o.insecure;
  c.http.total_timeout = std::chrono::milliseconds(static_cast<long long>(o.timeout * 1000));
  c.policy.margin = std::chrono::seconds(o.margin);
  if (!o.no_cache) c.cache_path = !o.cache.empty() ? o.cache : default_cache_path();
  c.no_browser = o.no_browser;
  c.redirect_port = o.redirect_port;
  return c;
}

std::unique_ptr<credential_tokens> make_credential(credential c, std::ostream& prompt) {
  auto t = std::make_unique<credential_tokens>();
  t->cred = std::move(c);
  const credential& cr = t->cred;
  t->http = std::make_unique<oauth::http_client>(cr.http);
  t->client = std::make_unique<oauth::token_client>(cr.endpoint, *t->http);
  if (!cr.cache_path.empty()) t->cache.emplace(cr.cache_path);
  oauth::token_client* tc = t->client.get();
  oauth::token_source src;
  const std::string flow = cr.flow;
  const oauth::client_auth auth = cr.auth;
  const std::string scope = cr.scope;
  if (flow == "client-credentials") {
    src.sign_in = [tc, auth, scope] { return tc->client_credentials(auth, scope); };
  } else if (flow == "password") {
    secret_string pw = read_secret(cr.password_file, cr.password_env, "password");
    std::string user = cr.username;
    src.sign_in = [tc, auth, scope, user, pw, &prompt] {
      prompt << "warning: the password grant (ROPC) is discouraged: it bypasses MFA and Conditional "
                "Access and fails for federated and MFA-enabled users\n";
      return tc->password(auth, user, pw, scope);
    };
  } else if (flow == "device-code") {
    src.sign_in = [tc, auth, scope, &prompt] {
      return tc->device_code(
          auth, scope, [&prompt](const oauth::device_prompt& p) { prompt << p.message << "\n" << std::flush; },
          [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
    };
  } else if (flow == "auth-code") {
    oauth::auth_code_options ao;
    ao.scope = scope;
    ao.login_hint = cr.username;
    ao.listener.port = static_cast<std::uint16_t>(cr.redirect_port);
    bool browser = !cr.no_browser;
    src.sign_in = [tc, auth, ao, browser, &prompt] {
      return tc->auth_code(auth, ao, [browser, &prompt](const std::string& url) {
        prompt << "To sign in, open this URL in a browser on this machine:\n  " << url << "\n" << std::flush;
        if (browser) start_browser(url);
      });
    };
  } else if (flow == "refresh-token") {
    if (cr.refresh_token_file.empty() && !t->cache)
      throw usage_error("--flow refresh-token needs --refresh-token-file F (or a token cache with a refresh token)");
    // The refresh-token flow always redeems (an explicit refresh token first, else the
    // cached one), whatever access token the cache holds.
    if (!cr.refresh_token_file.empty())
      src.initial_refresh_token = read_secret(cr.refresh_token_file, "", "refresh token");
    src.force_request = true;
  }
  if (flow != "client-credentials")
    src.redeem = [tc, auth, scope](const secret_string& rt) { return tc->refresh(auth, rt, scope); };
  oauth::cache_key key{cr.endpoint.authority, cr.endpoint.tenant, cr.endpoint.client_id, scope, cr.username};
  t->manager = std::make_unique<oauth::token_manager>(key, std::move(src), cr.policy,
                                                      t->cache ? &*t->cache : nullptr);
  return t;
}

}  // namespace mh::cli
