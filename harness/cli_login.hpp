// `mailharness login`: one OAuth login over IMAP, POP3 or SMTP with per-phase timings.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

// Adds the `login` subcommand to `app`; `run` receives the exit code when it ran.
void add_login_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
