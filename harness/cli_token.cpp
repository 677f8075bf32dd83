#include "cli_token.hpp"

#include <iostream>
#include <memory>

#include "core/error.hpp"
#include "core/json_doc.hpp"
#include "exit_codes.hpp"
#include "oauth/token_inspect.hpp"
#include "token_config.hpp"
#include "token_render.hpp"
#include "token_source.hpp"

namespace mh::cli {
namespace {

struct token_args {
  token_options t;
  bool json = false, print_token = false, decode = false;
  std::string token_file, token_env;
};

void report_failure(const oauth::acquire_result& r, const std::string& endpoint) {
  std::cerr << "mailharness token: " << r.message << "\n";
  if (r.aad) {
    std::cerr << "  endpoint        " << endpoint << "\n";
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
  std::string tenant = !a.t.tenant.empty() ? a.t.tenant : env_or_empty("AZURE_TENANT_ID");
  auto r = oauth::inspect_token(t.token->reveal(), unix_now(), tenant, a.t.margin);
  if (a.json) std::cout << r.to_json().dump(2) << "\n";
  else print_inspection(std::cout, r);
  if (!r.is_jwt) return exit_pass;  // nothing can be checked; saying so is the answer
  return r.all_ok() ? exit_pass : exit_fail;
}

int run_token(const token_args& a) {
  if (a.t.flow.empty() && a.t.profile.empty()) return decode_only(a);
  credential cred = resolve_credential(a.t);
  if (cred.http.insecure) std::cerr << "warning: --insecure: the token endpoint's certificate is NOT verified\n";
  std::string flow = cred.flow;
  std::string tenant = cred.endpoint.tenant;
  std::string endpoint = "POST " + cred.endpoint.token_endpoint();
  auto tokens = make_credential(std::move(cred), std::cerr);
  auto r = tokens->manager->acquire();
  if (!r.ok()) {
    report_failure(r, endpoint);
    return exit_code_for(r.ec, phase::token);
  }
  if (!r.message.empty()) std::cerr << r.message << "\n";  // a warning (not cached, content type)
  const oauth::lease& l = *r.token;
  token_summary s;
  s.flow = flow;
  s.now = unix_now();
  s.source = l.source;
  s.expires_at = l.expires_at;
  s.scope = l.scope;
  s.refresh_fingerprint = l.refresh_fingerprint;
  s.requests = l.attempts;
  if (tokens->cache) s.cache_path = tokens->cache->path();
  s.fingerprint = l.fingerprint;
  s.length = l.token.size();
  auto inspection = oauth::inspect_token(l.token.reveal(), s.now, tenant, a.t.margin);
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
  if (a.print_token) std::cout << l.token.reveal() << "\n" << std::flush;
  return exit_pass;
}

}  // namespace

void add_token_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<token_args>();
  auto* cmd = app.add_subcommand(
      "token",
      "Acquire an OAuth access token for IMAP, POP and SMTP (client credentials with a secret "
      "or certificate, refresh token, device code, auth code with PKCE, password), cache it in a 0600 file and "
      "print a summary; --decode checks a token for mail use. Secrets are read from the "
      "environment, files or standard input only. Defaults: AZURE_TENANT_ID, AZURE_CLIENT_ID, "
      "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_AUTHORITY_HOST.");
  add_token_options(cmd, a->t, true, true);
  auto* js = cmd->add_flag("--json", a->json, "print one JSON object (mailharness.token/1)");
  cmd->add_flag("--print-token", a->print_token,
                "print the access token on stdout (and nothing else there)")->excludes(js);
  cmd->add_flag("--decode", a->decode, "show header and claims and check them for mail use");
  auto* tf = cmd->add_option("--token-file", a->token_file, "--decode: token file ('-' = stdin)");
  auto* te = cmd->add_option("--token-env", a->token_env, "--decode: environment variable holding the token");
  tf->excludes(te);
  cmd->callback([a, on_exit] {
    bool have_token = !a->token_file.empty() || !a->token_env.empty();
    bool acquire = !a->t.flow.empty() || !a->t.profile.empty();
    if (!acquire && !(a->decode && have_token))
      throw CLI::ValidationError("--flow", "give --flow (or --profile), or --decode with --token-file F or --token-env VAR");
    if (acquire && have_token)
      throw CLI::ValidationError("--token-file", "--token-file/--token-env are for --decode without --flow");
    on_exit(run_guarded("token", [&] { return run_token(*a); }));
  });
}

}  // namespace mh::cli
