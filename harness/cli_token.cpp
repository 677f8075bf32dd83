#include "cli_token.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/redact.hpp"
#include "exit_codes.hpp"
#include "oauth/providers.hpp"
#include "oauth/refresh_policy.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_inspect.hpp"
#include "token_render.hpp"
#include "token_source.hpp"

namespace mh::cli {
namespace {

struct token_args {
  std::string flow;
  std::string tenant, client_id, authority, scope;
  std::string secret_env, secret_file, certificate, private_key, alg = "PS256";
  bool secret_basic = false;
  std::string refresh_token_file, username, password_env, password_file;
  std::string ca_file;
  bool insecure = false;
  std::string cache;
  bool no_cache = false;
  int margin = 600;
  double timeout = 30;
  bool json = false, print_token = false, decode = false;
  std::string token_file, token_env;
};

// A usage/configuration problem: exit 2 with a message naming the option or variable.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// A secret from a file ("-" = stdin) or an environment variable; only a trailing newline is
// removed (passwords may contain spaces). Never echoes the value.
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
  if (v.empty()) throw usage_error(what + " is empty (" + (file.empty() ? "environment variable " + var : "file " + file) + ")");
  return secret_string(std::move(v));
}

// {authority, tenant}: an authority with a path ("https://host/<tenant>", as MSAL and the
// fake's ready file spell it) supplies the tenant.
oauth::endpoint_config resolve_endpoint(const token_args& a) {
  oauth::endpoint_config e;
  std::string auth = !a.authority.empty() ? a.authority : env("AZURE_AUTHORITY_HOST");
  if (auth.empty()) auth = oauth::default_authority;
  while (!auth.empty() && auth.back() == '/') auth.pop_back();
  // Plain http only on loopback (tests, local fakes): credentials never cross a network in clear.
  bool loopback_http = auth.starts_with("http://127.0.0.1") || auth.starts_with("http://localhost") ||
                       auth.starts_with("http://[::1]");
  if (!auth.starts_with("https://") && !loopback_http)
    throw usage_error("--authority must be an https:// URL (http:// only on loopback), not \"" + auth + "\"");
  std::string tenant = !a.tenant.empty() ? a.tenant : env("AZURE_TENANT_ID");
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
  e.client_id = !a.client_id.empty() ? a.client_id : env("AZURE_CLIENT_ID");
  if (e.client_id.empty()) throw usage_error("no client id: give --client-id ID or set AZURE_CLIENT_ID");
  return e;
}

// The client credential. Client credentials need one (options, else AZURE_CLIENT_SECRET or
// AZURE_CLIENT_CERTIFICATE_PATH); the delegated flows use one only when given by option,
// since public clients must not send any (AADSTS700025).
oauth::client_auth resolve_auth(const token_args& a, bool required) {
  oauth::client_auth c;
  c.basic = a.secret_basic;
  std::string cert = a.certificate, key = a.private_key;
  if (!a.secret_env.empty() || !a.secret_file.empty()) {
    c.type = oauth::client_auth::kind::secret;
    c.secret = read_secret(a.secret_file, a.secret_env, "client secret");
    return c;
  }
  if (cert.empty() && required) {
    if (std::getenv("AZURE_CLIENT_SECRET")) {
      c.type = oauth::client_auth::kind::secret;
      c.secret = read_secret("", "AZURE_CLIENT_SECRET", "client secret");
      return c;
    }
    cert = env("AZURE_CLIENT_CERTIFICATE_PATH");
  }
  if (!cert.empty()) {
    std::string why;
    auto cc = oauth::load_certificate(cert, key, &why);
    if (!cc) throw usage_error("client certificate: " + why);
    c.type = oauth::client_auth::kind::certificate;
    c.cert = std::move(*cc);
    c.cert.alg = a.alg;
    return c;
  }
  if (required)
    throw usage_error("client credentials need a secret or a certificate: --client-secret-env VAR, "
                      "--client-secret-file F, --certificate F --private-key F, or the environment "
                      "variable AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
  return c;
}

std::string default_cache_path() {
  std::string base = env("XDG_CACHE_HOME");
  if (base.empty()) {
    std::string home = env("HOME");
    if (home.empty()) throw usage_error("no HOME: give --cache FILE or --no-cache");
    base = home + "/.cache";
  }
  ::mkdir(base.c_str(), 0700);
  std::string dir = base + "/mailharness";
  ::mkdir(dir.c_str(), 0700);
  return dir + "/tokens.json";
}

int exit_for(std::error_code ec) {
  switch (classify(ec)) {
    case error_class::none: return exit_pass;
    case error_class::rejected: return exit_fail;
    case error_class::local: return exit_usage;
    default: return exit_unreachable;  // connect, timeout, tls, protocol: the endpoint failed us
  }
}

void report_failure(const oauth::token_result& r) {
  std::cerr << "mailharness token: " << r.message << "\n";
  if (r.aad) {
    if (!r.endpoint.empty()) std::cerr << "  endpoint        " << r.endpoint << "\n";
    if (!r.aad->trace_id.empty()) std::cerr << "  trace id        " << r.aad->trace_id << "\n";
    if (!r.aad->correlation_id.empty()) std::cerr << "  correlation id  " << r.aad->correlation_id << "\n";
    if (!r.aad->timestamp.empty()) std::cerr << "  timestamp       " << r.aad->timestamp << "\n";
  }
}

int decode_only(const token_args& a) {
  token_read t = !a.token_file.empty() ? read_token_file(a.token_file) : read_token_env(a.token_env);
  if (!t.token) {
    std::cerr << "mailharness token: " << t.error << "\n";
    return exit_usage;
  }
  std::string tenant = !a.tenant.empty() ? a.tenant : env("AZURE_TENANT_ID");
  auto r = oauth::inspect_token(t.token->reveal(), unix_now(), tenant, a.margin);
  if (a.json) std::cout << r.to_json().dump(2) << "\n";
  else print_inspection(std::cout, r);
  if (!r.is_jwt) return exit_pass;  // nothing can be checked; saying so is the answer
  return r.all_ok() ? exit_pass : exit_fail;
}

int run_token(const token_args& a) {
  if (a.flow.empty()) return decode_only(a);
  bool app_only = a.flow == "client-credentials";
  oauth::endpoint_config ep = resolve_endpoint(a);
  oauth::client_auth auth = resolve_auth(a, app_only);
  std::string scope = !a.scope.empty() ? a.scope : app_only ? oauth::app_only_scope : oauth::delegated_scope;
  if (a.flow == "password" && a.username.empty()) throw usage_error("--flow password needs --username U");

  oauth::http_options ho;
  ho.ca_file = a.ca_file;
  ho.insecure = a.insecure;
  ho.total_timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout * 1000));
  if (a.insecure) std::cerr << "warning: --insecure: the token endpoint's certificate is NOT verified\n";
  oauth::http_client http(ho);
  oauth::token_client tc(ep, http);
  oauth::refresh_policy policy{std::chrono::seconds(a.margin)};

  std::optional<oauth::token_cache> cache;
  if (!a.no_cache) cache.emplace(!a.cache.empty() ? a.cache : default_cache_path());
  oauth::cache_key key{ep.authority, ep.tenant, ep.client_id, scope, a.username};
  std::optional<oauth::cache_entry> cached;
  std::string why;
  if (cache && cache->load(key, cached, &why)) throw usage_error(why);

  std::int64_t now = unix_now();
  std::string source = "token endpoint";
  oauth::token_result r;
  // An explicit --refresh-token-file is always redeemed, whatever the cache holds.
  bool explicit_refresh = a.flow == "refresh-token" && !a.refresh_token_file.empty();
  if (!explicit_refresh && cached && oauth::token_usable(now, cached->expires_at, cached->refresh_at, policy)) {
    source = "cache";
  } else if (a.flow == "refresh-token" || (!app_only && cached && !cached->refresh_token.empty())) {
    secret_string rt;
    if (!a.refresh_token_file.empty()) rt = read_secret(a.refresh_token_file, "", "refresh token");
    else if (cached && !cached->refresh_token.empty()) rt = cached->refresh_token;
    else throw usage_error("--flow refresh-token needs --refresh-token-file F or a cached refresh "
                           "token for this authority, tenant, client, scope and account");
    r = tc.refresh(auth, rt, scope);
    source = "refreshed";
    // A cached refresh token the server no longer accepts: fall back to the interactive flow.
    if (!r.ok() && a.flow != "refresh-token" && r.aad && r.aad->error == "invalid_grant") {
      std::cerr << "note: the cached refresh token was refused (" << r.message << "); signing in again\n";
      source = "token endpoint";
      r = {};
    } else if (r.ok() && r.tokens->refresh_token.empty()) {
      r.tokens->refresh_token = rt;  // no rotation this time: keep the one that worked
    }
  }
  if (source == "token endpoint") {
    if (a.flow == "client-credentials") {
      r = tc.client_credentials(auth, scope);
    } else if (a.flow == "password") {
      std::cerr << "warning: the password grant (ROPC) is discouraged: it bypasses MFA and "
                   "Conditional Access and fails for federated and MFA-enabled users\n";
      if (a.password_env.empty() && a.password_file.empty())
        throw usage_error("--flow password needs --password-env VAR or --password-file F");
      secret_string pw = read_secret(a.password_file, a.password_env, "password");
      r = tc.password(auth, a.username, pw, scope);
    } else if (a.flow == "device-code") {
      r = tc.device_code(auth, scope, [](const oauth::device_prompt& p) { std::cerr << p.message << "\n"; },
                         [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
    }
  }

  token_summary s;
  s.flow = a.flow;
  s.now = now;
  s.source = source;
  secret_string token;
  if (source == "cache") {
    token = cached->access_token;
    s.expires_at = cached->expires_at;
    s.scope = cached->scope;
    if (!cached->refresh_token.empty()) s.refresh_fingerprint = fingerprint(cached->refresh_token.reveal());
  } else {
    if (!r.ok()) {
      report_failure(r);
      return exit_for(r.ec);
    }
    if (!r.message.empty()) std::cerr << r.message << "\n";  // a warning (content type)
    const auto& t = *r.tokens;
    now = unix_now();
    token = t.access_token;
    s.now = now;
    s.expires_at = now + t.expires_in;
    s.scope = t.scope;
    s.requests = r.attempts;
    if (!t.refresh_token.empty()) s.refresh_fingerprint = fingerprint(t.refresh_token.reveal());
    if (cache) {
      oauth::cache_entry e{t.access_token, s.expires_at, std::nullopt, t.refresh_token, t.scope, now};
      if (t.refresh_in) e.refresh_at = now + *t.refresh_in;
      if (cache->store(key, e, &why)) std::cerr << "warning: not cached: " << why << "\n";
      else s.cache_path = cache->path();
    }
  }
  if (cache && source == "cache") s.cache_path = cache->path();
  s.fingerprint = fingerprint(token.reveal());
  s.length = token.size();
  auto inspection = oauth::inspect_token(token.reveal(), s.now, ep.tenant, a.margin);
  s.jwt = inspection.is_jwt;

  // With --print-token, stdout carries the token and nothing else.
  std::ostream& out = a.print_token ? std::cerr : std::cout;
  if (a.json) {
    auto j = summary_json(s);
    if (a.decode) j["decode"] = inspection.to_json();
    out << j.dump(2) << "\n";
  } else {
    print_summary(out, s);
    if (a.decode) print_inspection(out, inspection);
  }
  if (a.print_token) std::cout << token.reveal() << "\n" << std::flush;
  return exit_pass;
}

}  // namespace

void add_token_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<token_args>();
  auto* cmd = app.add_subcommand(
      "token",
      "Acquire an OAuth access token for IMAP, POP and SMTP (client credentials with a secret "
      "or certificate, refresh token, device code, password), cache it in a 0600 file and "
      "print a summary; --decode checks a token for mail use. Secrets are read from the "
      "environment, files or standard input only. Defaults: AZURE_TENANT_ID, AZURE_CLIENT_ID, "
      "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_AUTHORITY_HOST.");
  cmd->add_option("--flow", a->flow, "client-credentials, device-code, refresh-token or password")
      ->check(CLI::IsMember({"client-credentials", "device-code", "refresh-token", "password"}));
  cmd->add_option("--tenant", a->tenant, "tenant ID or domain (default AZURE_TENANT_ID)");
  cmd->add_option("--client-id", a->client_id, "application (client) ID (default AZURE_CLIENT_ID)");
  auto* se = cmd->add_option("--client-secret-env", a->secret_env, "environment variable holding the client secret");
  auto* sf = cmd->add_option("--client-secret-file", a->secret_file, "file holding the client secret ('-' = stdin)");
  auto* ce = cmd->add_option("--certificate", a->certificate,
                             "PEM file with the client certificate (and the key, unless --private-key)");
  cmd->add_option("--private-key", a->private_key, "PEM file with the certificate's private key")->needs(ce);
  cmd->add_option("--assertion-alg", a->alg, "PS256 (default) or RS256")->check(CLI::IsMember({"PS256", "RS256"}));
  cmd->add_flag("--client-secret-basic", a->secret_basic, "send the client secret as HTTP Basic");
  se->excludes(sf)->excludes(ce);
  sf->excludes(ce);
  cmd->add_option("--refresh-token-file", a->refresh_token_file, "file holding a refresh token ('-' = stdin)");
  cmd->add_option("--username", a->username, "user principal name (password flow; cache account)");
  auto* pe = cmd->add_option("--password-env", a->password_env, "environment variable holding the password");
  cmd->add_option("--password-file", a->password_file, "file holding the password ('-' = stdin)")->excludes(pe);
  cmd->add_option("--scope", a->scope, "space-separated scopes (default per flow, for Exchange)");
  cmd->add_option("--authority", a->authority,
                  "authority URL (default AZURE_AUTHORITY_HOST or https://login.microsoftonline.com); "
                  "may include the tenant");
  cmd->add_option("--ca-file", a->ca_file, "PEM file of trusted CAs (default: system store)")->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", a->insecure, "do not verify the token endpoint's certificate");
  auto* cf = cmd->add_option("--cache", a->cache, "token cache file (default ~/.cache/mailharness/tokens.json)");
  cmd->add_flag("--no-cache", a->no_cache, "neither read nor write the token cache")->excludes(cf);
  cmd->add_option("--refresh-margin", a->margin,
                  "seconds of lifetime a cached token must have left to be used (default 600)")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--timeout", a->timeout, "seconds for each HTTP request")->check(CLI::Range(0.1, 600.0));
  auto* js = cmd->add_flag("--json", a->json, "print one JSON object (mailharness.token/1)");
  cmd->add_flag("--print-token", a->print_token,
                "print the access token on stdout (and nothing else there)")->excludes(js);
  cmd->add_flag("--decode", a->decode, "show header and claims and check them for mail use");
  auto* tf = cmd->add_option("--token-file", a->token_file, "--decode: token file ('-' = stdin)");
  auto* te = cmd->add_option("--token-env", a->token_env, "--decode: environment variable holding the token");
  tf->excludes(te);
  cmd->callback([a, on_exit] {
    bool have_token = !a->token_file.empty() || !a->token_env.empty();
    if (a->flow.empty() && !(a->decode && have_token))
      throw CLI::ValidationError("--flow", "give --flow, or --decode with --token-file F or --token-env VAR");
    if (!a->flow.empty() && have_token)
      throw CLI::ValidationError("--token-file", "--token-file/--token-env are for --decode without --flow");
    try {
      on_exit(run_token(*a));
    } catch (const usage_error& e) {
      std::cerr << "mailharness token: " << e.what() << "\n";
      on_exit(exit_usage);
    }
  });
}

}  // namespace mh::cli
