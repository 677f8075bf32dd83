// mailharness: OAuth 2.0 login compliance, validation and benchmarking for IMAP, POP3 and
// SMTP (SASL XOAUTH2 and OAUTHBEARER). See README.md.
#include <CLI/CLI.hpp>
#include <iostream>

#include <sys/resource.h>

#include "core/json_doc.hpp"

#include "argv_guard.hpp"
#include "cli_bench.hpp"
#include "cli_fake.hpp"
#include "cli_login.hpp"
#include "cli_run.hpp"
#include "cli_validate.hpp"
#include "cli_token.hpp"
#include "exit_codes.hpp"
#include "report_files.hpp"

int main(int argc, char** argv) {
  // No core files: a crash must not write tokens and secrets held in memory to disk.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (auto refused = mh::cli::refuse_secret_arguments(argc, argv)) {
    std::cerr << "mailharness: " << *refused << "\n";
    return mh::cli::exit_usage;
  }
  CLI::App app{"mailharness: test, validate and benchmark OAuth logins over IMAP, POP3 and SMTP"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mailharness 0.1.0");
  int code = mh::cli::exit_pass;
  mh::cli::add_login_command(app, [&](int c) { code = c; });
  mh::cli::add_token_command(app, [&](int c) { code = c; });
  mh::cli::add_fake_command(app, [&](int c) { code = c; });
  mh::cli::add_run_command(app, [&](int c) { code = c; });
  mh::cli::add_report_command(app, [&](int c) { code = c; });
  mh::cli::add_validate_command(app, [&](int c) { code = c; });
  mh::cli::add_bench_command(app, [&](int c) { code = c; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : mh::cli::exit_usage;
  } catch (const mh::config_error& e) {
    std::cerr << "mailharness: " << e.what() << "\n";
    return mh::cli::exit_usage;
  } catch (const mh::cli::report_write_error& e) {  // a full disk: infrastructure, not usage
    std::cerr << "mailharness: " << e.what() << "\n";
    return mh::cli::exit_unreachable;
  } catch (const std::system_error& e) {
    std::cerr << "mailharness: " << e.what() << "\n";
    return mh::cli::exit_unreachable;
  } catch (const std::exception& e) {
    std::cerr << "mailharness: " << e.what() << "\n";
    return mh::cli::exit_usage;
  }
  return code;
}
