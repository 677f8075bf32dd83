#include "cli_login.hpp"

#include <iostream>
#include <sstream>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "core/json_doc.hpp"
#include "exit_codes.hpp"
#include "findings.hpp"
#include "login_render.hpp"
#include "session/login.hpp"
#include "token_config.hpp"
#include "token_source.hpp"

namespace mh::cli {
namespace {

struct login_args {
  std::string protocol;
  std::string host;
  int port = 0;
  std::string tls;
  std::string user;
  std::string token_file;
  std::string token_env;
  std::string mech = "auto";
  std::string form = "auto";
  bool allow_unadvertised = false;
  std::string ca_file;
  bool insecure = false;
  double timeout = 30;
  bool no_probe = false;
  bool fetch = false;
  std::string send_to;
  std::string ehlo = "localhost";
  std::size_t max_line = 64 * 1024;
  bool json = false;
  bool transcript = false;
  token_options t;  // a flow instead of --token-file/--token-env
};

// Host, port and TLS mode from the profile where the command line left them out.
void apply_endpoint(login_args& a, login_options& o) {
  if (a.t.profile.empty()) return;
  profile p = resolve_profile(a.t.profile);
  auto it = p.endpoints.find(o.proto);
  if (it != p.endpoints.end()) {
    if (a.host.empty()) o.host = it->second.host;
    if (a.port == 0) o.port = it->second.port;
    if (a.tls.empty()) o.tls = it->second.tls;
  }
  if (o.ca_file.empty()) o.ca_file = p.ca_file;
  for (const auto& n : p.notes) std::cerr << "note: " << n << "\n";
}

// The token from a file, a variable or a flow. A flow's time is the login's token phase.
std::optional<secret_string> obtain_token(login_args& a, const login_options& o, phase_span& token_span,
                                          int& exit_code) {
  if (!a.token_file.empty() || !a.token_env.empty()) {
    token_read tok = !a.token_file.empty() ? read_token_file(a.token_file) : read_token_env(a.token_env);
    if (!tok.token) throw usage_error(tok.error);
    return std::move(tok.token);
  }
  if (a.t.ca_file.empty()) a.t.ca_file = o.ca_file;  // one CA for the fake's mail and identity
  auto started = std::chrono::steady_clock::now();
  auto tokens = make_credential(resolve_credential(a.t), std::cerr);
  auto r = tokens->manager->acquire();
  token_span = {phase::token, std::chrono::nanoseconds(0), std::chrono::steady_clock::now() - started, r.ok()};
  if (!r.ok()) {
    std::cerr << "mailharness login: no token: " << r.message << "\n";
    exit_code = exit_code_for(r.ec, phase::token);
    return std::nullopt;
  }
  return r.token->token;
}

int run_login(login_args a) {
  login_options o;
  o.proto = a.protocol == "imap" ? protocol::imap
            : a.protocol == "pop3" ? protocol::pop3
                                   : protocol::smtp;
  o.host = a.host;
  o.port = static_cast<std::uint16_t>(a.port);
  o.tls = a.tls.empty() ? default_tls(o.proto)
          : a.tls == "implicit" ? tls_mode::implicit
          : a.tls == "starttls" ? tls_mode::starttls
                                : tls_mode::none;
  static const std::map<std::string, sasl::choice> mechs = {
      {"auto", sasl::choice::automatic},
      {"xoauth2", sasl::choice::xoauth2},
      {"oauthbearer", sasl::choice::oauthbearer}};
  static const std::map<std::string, sasl::form> forms = {
      {"auto", sasl::form::automatic},
      {"initial-response", sasl::form::initial_response},
      {"two-step", sasl::form::two_step}};
  o.client.mech = mechs.at(a.mech);
  o.client.form = forms.at(a.form);
  o.client.allow_unadvertised = a.allow_unadvertised;
  o.client.probe = !a.no_probe;
  o.client.fetch = a.fetch;
  o.client.send_test_to = a.send_to;
  o.client.ehlo_name = a.ehlo;
  o.client.creds.user = a.user;
  o.ca_file = a.ca_file;
  o.insecure = a.insecure;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout * 1000));
  o.limits.max_line = a.max_line;

  if (!a.send_to.empty() && o.proto != protocol::smtp) {
    std::cerr << "mailharness login: --send-test-message applies to --protocol smtp only\n";
    return exit_usage;
  }
  apply_endpoint(a, o);
  if (o.host.empty()) {
    std::cerr << "mailharness login: no host: give --host H or --profile P\n";
    return exit_usage;
  }
  phase_span token_span{phase::token, {}, {}, true};
  int token_exit = exit_usage;
  auto token = obtain_token(a, o, token_span, token_exit);
  if (!token) return token_exit;
  o.client.creds.token = std::move(*token);
  if (o.insecure)
    std::cerr << "warning: --insecure: the server certificate and host name are NOT verified\n";

  login_result r;
  try {
    r = login_blocking(o);
    if (token_span.duration.count() > 0) {  // the flow's time comes first
      for (auto& sp : r.phases) sp.start += token_span.duration;
      r.phases.insert(r.phases.begin(), token_span);
      r.total += token_span.duration;
    }
  } catch (const std::exception& e) {
    std::cerr << "mailharness login: " << e.what() << "\n";
    return exit_usage;
  }
  // The same diagnosis `run` and `validate` give: the missing setup step and its fix.
  nlohmann::json findings = nlohmann::json::array();
  if (!r.pass) {
    failure_evidence ev;
    ev.protocol = std::string(protocol_name(o.proto));
    ev.failed_phase = r.outcome.failed_phase;
    ev.error = r.outcome.error;
    ev.reply = r.outcome.reply;
    ev.claims = token_claims(std::string(o.client.creds.token.reveal()));
    ev.app_only = !ev.claims || !ev.claims->contains("scp");
    ev.values = {{"mailbox", o.client.creds.user}, {"user", o.client.creds.user},
                 {"mechanism", r.facts.mechanism}, {"sasl_form", r.facts.sasl_form}};
    if (!a.t.tenant.empty()) ev.values["tenant"] = a.t.tenant;
    findings = findings_for(ev);
  }
  if (a.json) {
    auto j = login_json(o, r, a.transcript);
    j["findings"] = findings;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";  // server bytes need not be UTF-8
  } else {
    if (a.transcript) {
      print_transcript(std::cout, r);
      std::cout << "\n";
    }
    print_login_table(std::cout, o, r);
    for (std::size_t i = 0; i < findings.size(); ++i) {
      const auto& f = findings[i];
      std::cout << "\n" << (findings.size() > 1 ? "candidate " + std::to_string(i + 1) + ": " : "finding: ")
                << f.value("title", "") << " (confidence " << f.value("confidence", "") << ")\n"
                << "  missing step: " << f.value("step", "") << "\n";
      if (f.contains("distinguish")) std::cout << "  tell apart:   " << f.value("distinguish", "") << "\n";
      std::istringstream rem(f.value("remediation", ""));
      for (std::string line; std::getline(rem, line);) std::cout << "  " << line << "\n";
    }
  }
  return exit_code_for(r.outcome.error, r.outcome.failed_phase);
}

}  // namespace

void add_login_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto args = std::make_shared<login_args>();
  auto* cmd = app.add_subcommand(
      "login",
      "Log in once over IMAP, POP3 or SMTP with an OAuth access token (XOAUTH2 or "
      "OAUTHBEARER) and show each phase: resolve, connect, TLS, greeting, capabilities, "
      "STARTTLS, authentication, post-auth probe, logout.");
  cmd->add_option("--protocol", args->protocol, "imap, pop3 or smtp")
      ->required()
      ->check(CLI::IsMember({"imap", "pop3", "smtp"}));
  cmd->add_option("--host", args->host, "server host name or address (default: from --profile)");
  cmd->add_option("--port", args->port,
                  "server port (default: imap 993, pop3 995, smtp 587)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--tls", args->tls,
                  "implicit, starttls or none (default: implicit for imap/pop3, starttls for smtp)")
      ->check(CLI::IsMember({"implicit", "starttls", "none"}));
  cmd->add_option("--user", args->user, "mailbox to log in to (the SASL user=)")->required();
  auto* tf = cmd->add_option("--token-file", args->token_file,
                             "file holding the access token ('-' reads standard input)");
  auto* te = cmd->add_option("--token-env", args->token_env,
                             "environment variable holding the access token");
  tf->excludes(te);
  cmd->add_option("--mech", args->mech,
                  "xoauth2, oauthbearer or auto (auto prefers OAUTHBEARER, then XOAUTH2)")
      ->check(CLI::IsMember({"auto", "xoauth2", "oauthbearer"}));
  cmd->add_option("--sasl-form", args->form,
                  "auto, initial-response or two-step (auto: IMAP uses SASL-IR when advertised, "
                  "SMTP when the line fits 12288 octets, POP3 always two-step)")
      ->check(CLI::IsMember({"auto", "initial-response", "two-step"}));
  cmd->add_flag("--allow-unadvertised", args->allow_unadvertised,
                "try an explicit --mech even when the server does not advertise it");
  cmd->add_option("--ca-file", args->ca_file, "PEM file of trusted CAs (default: system store)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", args->insecure,
                "do not verify the certificate or host name (shown in every output)");
  cmd->add_option("--timeout", args->timeout, "seconds for connect and for each server reply")
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_flag("--no-probe", args->no_probe,
                "skip the post-auth probe (EXAMINE INBOX / STAT / MAIL FROM + RSET)");
  cmd->add_flag("--fetch", args->fetch,
                "imap/pop3: after the probe, fetch the first message (FETCH 1 BODY.PEEK[] / RETR 1)");
  cmd->add_option("--send-test-message", args->send_to,
                  "smtp: after the probe, send a small test message to this address");
  cmd->add_option("--ehlo", args->ehlo, "smtp: the EHLO name (default localhost)");
  cmd->add_option("--max-line", args->max_line,
                  "longest server line accepted, in octets (default 65536)")
      ->check(CLI::Range(std::size_t{64}, std::size_t{1} << 30));
  cmd->add_flag("--json", args->json, "print one JSON object (schema mailharness.login/1)");
  cmd->add_flag("--transcript", args->transcript,
                "print the conversation; tokens and payloads are replaced by fingerprints");
  add_token_options(cmd, args->t, true, false);
  cmd->callback([args, on_exit] {
    bool have_token = !args->token_file.empty() || !args->token_env.empty();
    bool flow = !args->t.flow.empty() || !args->t.profile.empty();
    if (!have_token && !flow)
      throw CLI::ValidationError("--token-file, --token-env or --flow",
                                 "give the token with --token-file F or --token-env VAR, or get one with "
                                 "--flow (see mailharness token --help) or --profile");
    if (have_token && !args->t.flow.empty())
      throw CLI::ValidationError("--flow", "--flow and --token-file/--token-env exclude each other");
    on_exit(run_guarded("login", [&] { return run_login(*args); }));
  });
}

}  // namespace mh::cli
