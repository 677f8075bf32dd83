#include "cli_validate.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "core/files.hpp"
#include "core/json_doc.hpp"
#include "exit_codes.hpp"
#include "report/render.hpp"
#include "report_files.hpp"
#include "validate.hpp"

namespace mh::cli {
namespace {

struct validate_args {
  validate_options o;
  std::string mailboxes;
  std::string protocols = "imap,pop3,smtp";
  std::string out = "reports";
  bool json = false;
};

int run(validate_args& a) {
  a.o.mailboxes = load_mailbox_list(a.mailboxes);
  a.o.protocols.clear();
  std::stringstream ps(a.protocols);
  for (std::string p; std::getline(ps, p, ',');) {
    if (p != "imap" && p != "pop3" && p != "smtp")
      throw usage_error("--protocols: \"" + p + "\" is not imap, pop3 or smtp");
    a.o.protocols.push_back(p);
  }
  if (a.o.protocols.empty()) throw usage_error("--protocols: name at least one of imap, pop3, smtp");
  if (a.o.insecure) std::cerr << "warning: --insecure: mail server certificates and host names are NOT verified\n";
  auto report = run_validate(a.o, std::cerr);
  // The verdict first: it survives a report set that cannot be written (full disk).
  std::cout << (a.json ? report_json_text(report) : render_cutover(report)) << std::flush;
  write_report_set(report, a.out);
  if (!a.json) std::cout << "\nreports: " << a.out << "/report.json, junit.xml, report.html, report.md\n";
  if (report["cutover"].value("ready", false)) return exit_pass;
  for (const auto& c : report["cutover"]["preflight"])
    if (c.value("name", "") == "authority" && !c.value("ok", false)) return exit_unreachable;
  return exit_fail;
}

}  // namespace

void add_validate_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<validate_args>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Cutover preflight: check a tenant (profile or AZURE_* environment) for every mailbox and "
      "protocol, and name the missing setup step and the command that fixes each failure");
  add_token_options(cmd, a->o.tokens, true, false);
  cmd->add_option("--mailboxes", a->mailboxes,
                  "file: one address per line, or CSV with columns mailbox,imap,pop3,smtp,shared")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--protocols", a->protocols, "comma-separated: imap,pop3,smtp (default all three)");
  cmd->add_flag("--send-test-message", a->o.send_test_message, "smtp: send a test message to each mailbox itself");
  cmd->add_option("--concurrency", a->o.concurrency, "connections at once, at most 8 (default 4)")
      ->check(CLI::Range(1, 8));
  cmd->add_option("--pace-ms", a->o.pace_ms, "pause between one worker's logins (default 200)")
      ->check(CLI::Range(0, 60000));
  cmd->add_option("--timeout", a->o.timeout_s, "seconds for connect and each server reply")
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--ca-file", a->o.ca_file, "PEM file of CAs trusted for the mail servers")->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", a->o.insecure, "do not verify mail server certificates (shown in the report)");
  cmd->add_option("--out", a->out, "folder for the report set (default: reports)");
  cmd->add_flag("--json", a->json, "print report.json instead of the cutover summary");
  cmd->callback([a, on_exit] {
    on_exit(run_guarded("validate", [&] { return run(*a); }));
  });
}

}  // namespace mh::cli
