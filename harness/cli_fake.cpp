#include "cli_fake.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "exit_codes.hpp"
#include "core/json_doc.hpp"
#include "fake_exchange.hpp"

namespace mh::cli {
namespace {

struct fake_args {
  std::string tenant;
  std::string listen = "127.0.0.1";
  int imap_port = 0, pop3_port = 0, smtp_port = 0, identity_port = 0;
  std::string state_dir;
  std::string ready_file;
  std::vector<std::string> hostnames;
  bool print_tenant = false;
  int token_lifetime = 0;
  int auth_failure_delay_ms = 0;
  bool accept_oauthbearer = false;
  std::size_t pop3_max_auth_line = 0;
  bool smtp_concurrency_limit = false;
  std::vector<std::string> faults;
  std::string faults_file;
  std::string events_file;
  std::string verdicts_file;
  fake::verdict_options verdicts;
  bool persist_mail = false;
  std::size_t max_sessions = 0;  // 0 = mail_config's default
  int login_timeout_ms = 0, idle_timeout_ms = 0, send_timeout_ms = 0;  // 0 = the default
  std::optional<std::size_t> max_auth_failures;
  std::string key_type = "ecdsa";
};

std::string default_state_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp && *tmp ? tmp : "/tmp") + "/mailharness-fake-" + std::to_string(::getuid());
}

// Each session holds one descriptor: lift the soft RLIMIT_NOFILE to the hard limit so that
// --max-sessions in the thousands is not cut short by EMFILE (a default soft limit is 1024).
void raise_nofile_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);  // best effort: the cap still bounds what we accept
}

std::vector<fake::fault_rule> load_faults(const fake_args& a) {
  std::vector<fake::fault_rule> out;
  auto add = [&](const nlohmann::json& j, const std::string& where) {
    try {
      if (j.is_array())
        for (const auto& f : j) out.push_back(fake::fault_from_json(f));
      else
        out.push_back(fake::fault_from_json(j));
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
  };
  for (const auto& f : a.faults) add(nlohmann::json::parse(f, nullptr, true, true), "--fault");
  if (!a.faults_file.empty()) {
    std::ifstream in(a.faults_file);
    if (!in) throw std::runtime_error("cannot read " + a.faults_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    json_doc d(ss.str(), a.faults_file);
    add(d.root(), a.faults_file);
  }
  return out;
}

int run_fake(const fake_args& a) {
  if (a.print_tenant) {
    auto t = a.tenant.empty() ? fake::demo_tenant() : fake::load_tenant_file(a.tenant);
    std::cout << fake::tenant_to_json(t).dump(2) << "\n";
    return exit_pass;
  }
  fake::fake_options o;
  if (!a.tenant.empty()) o.tenant_file = a.tenant;
  o.listen = a.listen;
  o.identity_port = static_cast<std::uint16_t>(a.identity_port);
  o.state_dir = a.state_dir.empty() ? default_state_dir() : a.state_dir;
  o.hostnames = a.hostnames;
  if (a.token_lifetime > 0) o.token_lifetime_s = a.token_lifetime;
  o.mail.imap_port = static_cast<std::uint16_t>(a.imap_port);
  o.mail.pop3_port = static_cast<std::uint16_t>(a.pop3_port);
  o.mail.smtp_port = static_cast<std::uint16_t>(a.smtp_port);
  o.mail.auth_failure_delay = std::chrono::milliseconds(a.auth_failure_delay_ms);
  o.mail.accept_oauthbearer = a.accept_oauthbearer;
  o.mail.pop3_max_auth_line = a.pop3_max_auth_line;
  o.mail.smtp_concurrency_limit = a.smtp_concurrency_limit;
  if (a.max_sessions > 0) o.mail.max_sessions = a.max_sessions;
  if (a.login_timeout_ms > 0) o.mail.login_timeout = std::chrono::milliseconds(a.login_timeout_ms);
  if (a.idle_timeout_ms > 0) o.mail.idle_timeout = std::chrono::milliseconds(a.idle_timeout_ms);
  if (a.send_timeout_ms > 0) o.mail.send_timeout = std::chrono::milliseconds(a.send_timeout_ms);
  if (a.max_auth_failures) o.mail.max_auth_failures = *a.max_auth_failures;
  raise_nofile_limit();
  o.faults = load_faults(a);
  o.persist_mail = a.persist_mail;
  o.server_key = a.key_type == "rsa" ? pki::key_type::rsa2048 : pki::key_type::ec_p256;
  o.verdicts = a.verdicts;
  if (a.listen != "127.0.0.1" && a.listen != "::1")
    std::cerr << "warning: the fake listens on " << a.listen
              << ", not only on loopback: anyone who reaches it can use the demo credentials\n";

  net::io_context io;
  fake::fake_exchange fx(io, o);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    fx.stop();
    io.stop();
  });
  auto ready = fx.ready_info();
  net::post(io, [&] {  // once the loop runs, every listener accepts
    if (!a.ready_file.empty()) fake::write_file_atomically(a.ready_file, ready.dump(2) + "\n");
    std::cerr << "mailharness fake: ready (imap " << ready["endpoints"]["imap"]["port"]
              << ", pop3 " << ready["endpoints"]["pop3"]["port"] << ", smtp "
              << ready["endpoints"]["smtp"]["port"] << ", identity "
              << ready["endpoints"]["identity"]["port"] << "; authority " << ready["authority"].get<std::string>()
              << ")\n";
  });
  io.run();
  if (!a.events_file.empty())
    fake::write_file_atomically(a.events_file, fx.events().to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!a.verdicts_file.empty())
    fake::write_file_atomically(a.verdicts_file, fx.verdicts().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  if (!a.ready_file.empty()) ::unlink(a.ready_file.c_str());
  return exit_pass;
}

}  // namespace

void add_fake_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<fake_args>();
  auto* cmd = app.add_subcommand(
      "fake",
      "Run a local fake of Exchange Online (IMAP, POP3, SMTP submission) and of the Microsoft "
      "identity platform, with a tenant model whose every missing setup step behaves as in "
      "the real service. Loopback only unless --listen says otherwise.");
  cmd->add_option("--tenant", a->tenant, "tenant file (JSON, see fakes/tenant/TENANT.md); default: the built-in demo tenant")
      ->check(CLI::ExistingFile);
  cmd->add_option("--listen", a->listen, "address to listen on (default 127.0.0.1)");
  auto port = CLI::Range(0, 65535);
  cmd->add_option("--imap-port", a->imap_port, "IMAP port, implicit TLS (0 = any free port)")->check(port);
  cmd->add_option("--pop3-port", a->pop3_port, "POP3 port, implicit TLS (0 = any free port)")->check(port);
  cmd->add_option("--smtp-port", a->smtp_port, "SMTP submission port, STARTTLS (0 = any free port)")->check(port);
  cmd->add_option("--identity-port", a->identity_port, "identity platform HTTPS port (0 = any free port)")->check(port);
  cmd->add_option("--state-dir", a->state_dir,
                  "CA, server certificate and token-signing key, created on first start (default: "
                  "$TMPDIR/mailharness-fake-<uid>)");
  cmd->add_option("--ready-file", a->ready_file,
                  "write this JSON file (mode 0600, atomically) once every listener accepts");
  cmd->add_option("--hostname", a->hostnames, "extra DNS name or IP for the server certificate (repeatable)");
  cmd->add_flag("--print-tenant", a->print_tenant, "print the tenant (the demo tenant by default) and exit");
  cmd->add_option("--token-lifetime", a->token_lifetime,
                  "access-token lifetime in seconds, overriding the tenant policy (e.g. 30 for refresh tests)")
      ->check(CLI::Range(1, 86400 * 2));
  cmd->add_option("--auth-failure-delay", a->auth_failure_delay_ms,
                  "milliseconds before a failed-login reply (Exchange: several seconds; default 0)")
      ->check(CLI::Range(0, 60000));
  cmd->add_flag("--accept-oauthbearer", a->accept_oauthbearer,
                "accept OAUTHBEARER though it is not advertised (whether Exchange does is unknown)");
  cmd->add_option("--pop3-max-auth-line", a->pop3_max_auth_line,
                  "POP3: refuse SASL continuation lines longer than this with "
                  "'-ERR Protocol error. Connection is closed. 10' (0 = no limit)");
  cmd->add_flag("--smtp-concurrency-limit", a->smtp_concurrency_limit,
                "SMTP: at most 3 authenticated submitters per mailbox, then 432 4.3.2");
  cmd->add_option("--max-sessions", a->max_sessions,
                  "concurrent mail sessions (IMAP, POP3 and SMTP together); at the cap a new "
                  "connection drops the oldest session not yet authenticated, or is refused when "
                  "all are (default 2000; the soft descriptor limit is raised to the hard one)")
      ->check(CLI::Range(1, 1000000));
  auto ms = CLI::Range(1, 24 * 3600 * 1000);
  cmd->add_option("--login-timeout", a->login_timeout_ms,
                  "milliseconds from connection to authentication (TLS handshake, greeting and "
                  "every command before login; not reset by incoming bytes; default 60000)")
      ->check(ms);
  cmd->add_option("--idle-timeout", a->idle_timeout_ms,
                  "milliseconds an authenticated session has for its next whole command line "
                  "(default 1800000)")
      ->check(ms);
  cmd->add_option("--send-timeout", a->send_timeout_ms,
                  "milliseconds to write one whole reply to a client that does not read (default 120000)")
      ->check(ms);
  cmd->add_option("--max-auth-failures", a->max_auth_failures,
                  "failed logins on one connection before the fake closes it (default 3; 0 = no limit)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--fault", a->faults,
                  "a fault rule as JSON, e.g. '{\"protocol\":\"imap\",\"command\":\"AUTHENTICATE\","
                  "\"action\":\"delay\",\"delay_ms\":2000,\"times\":1}' (repeatable)");
  cmd->add_option("--faults", a->faults_file, "a JSON file with an array of fault rules")
      ->check(CLI::ExistingFile);
  cmd->add_option("--events-file", a->events_file, "write the event log (what clients did) here at exit");
  cmd->add_option("--verdicts-file", a->verdicts_file,
                  "write the token-refresh verdicts of the observed clients here at exit "
                  "(JSON mailharness.verdicts/1, see fakes/observe/VERDICTS.md)");
  cmd->add_option("--rejection-window", a->verdicts.rejection_window_s,
                  "verdicts: seconds of lifetime below which the server rejects a token "
                  "(Exchange: about 600; default 0 = only expired tokens)")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--refresh-margin", a->verdicts.margin_s,
                  "verdicts: seconds of lifetime a client must have left at every use (default 0)")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--burst-window", a->verdicts.burst_window_ms,
                  "verdicts: token requests for one credential closer than this many ms are "
                  "duplicates (single flight; default 1000)")
      ->check(CLI::Range(0, 3600 * 1000));
  cmd->add_option("--key-type", a->key_type,
                  "server certificate key: ecdsa (P-256, default) or rsa (2048 bits); both are kept in the state dir")
      ->check(CLI::IsMember({"ecdsa", "rsa"}));
  cmd->add_flag("--persist-mail", a->persist_mail,
                "keep mailbox contents across restarts in <state-dir>/mail.json (default: in memory)");
  cmd->callback([a, on_exit] { on_exit(run_fake(*a)); });
}

}  // namespace mh::cli
