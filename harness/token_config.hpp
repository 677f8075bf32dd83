// How the commands that need tokens (token, login, run, validate, bench) are told where to
// get them: the same flow options everywhere, filled from, in order, the command line, a
// profile (`--profile`), and the Azure Identity environment (AZURE_TENANT_ID,
// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH,
// AZURE_AUTHORITY_HOST). Secrets come from the environment, files or standard input only.
//
// resolve_credential() turns the options into one credential and make_credential() into a
// token_manager (single flight, refresh policy, 0600 cache) ready to hand out tokens.
// Configuration mistakes throw usage_error, whose message names the option or variable.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>

#include "oauth/http_client.hpp"
#include "oauth/providers.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_manager.hpp"
#include "profile.hpp"

namespace mh::cli {

// A usage/configuration problem: exit 2 with a message naming the option or variable.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs a command's body: its exit code, or exit 2 with "mailharness <command>: <message>"
// for a usage_error or a config_error (file:line:column).
int run_guarded(const char* command, const std::function<int()>& body);

inline const char* const token_flows[] = {"client-credentials", "device-code", "refresh-token", "auth-code",
                                          "password"};

struct token_options {
  std::string flow;
  std::string tenant, client_id, authority, scope;
  std::string secret_env, secret_file, certificate, private_key, alg;
  bool secret_basic = false;
  std::string refresh_token_file, username, password_env, password_file;
  std::string ca_file;   // for the token endpoint
  bool insecure = false;
  std::string cache;
  bool no_cache = false;
  int margin = 600;
  double timeout = 30;
  bool no_browser = false;
  int redirect_port = 0;
  std::string profile;   // --profile: file or built-in cloud name
};

// Adds the flow options to `cmd`. With `with_profile`, also --profile. The token endpoint's
// TLS options are --token-ca-file, --token-insecure and --token-timeout; `token_command`
// also accepts them as --ca-file, --insecure and --timeout.
void add_token_options(CLI::App* cmd, token_options& o, bool with_profile, bool token_command);

// Fills the options the user left empty from the profile (never overriding the command line).
void apply_profile(token_options& o, const profile& p);

struct credential {
  std::string flow;
  oauth::endpoint_config endpoint;
  oauth::client_auth auth;
  std::string scope;
  std::string username;
  oauth::http_options http;
  oauth::refresh_policy policy;
  std::string cache_path;             // empty: no cache
  std::string refresh_token_file;     // refresh-token flow: redeem this first
  std::string password_file, password_env;
  bool no_browser = false;
  int redirect_port = 0;
  secret_string inline_secret;        // only from a fake's ready-file profile
};

// Throws usage_error. `default_flow` applies when neither options nor profile name one.
credential resolve_credential(const token_options& o, const std::string& default_flow = {});

// One credential's token machinery. Interactive flows (device code, auth code) print their
// instructions on `prompt`.
struct credential_tokens {
  credential cred;
  std::unique_ptr<oauth::http_client> http;
  std::unique_ptr<oauth::token_client> client;
  std::optional<oauth::token_cache> cache;
  std::unique_ptr<oauth::token_manager> manager;
};
std::unique_ptr<credential_tokens> make_credential(credential c, std::ostream& prompt);

// The current unix time, and an environment variable or "".
std::int64_t unix_now();
std::string env_or_empty(const char* name);

// A secret from a file ("-" = stdin) or an environment variable; throws usage_error naming
// the source, never the value.
secret_string read_secret(const std::string& file, const std::string& var, const std::string& what);

}  // namespace mh::cli
