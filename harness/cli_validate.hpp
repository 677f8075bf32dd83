// `mailharness validate`: cutover preflight and per-mailbox, per-protocol checks against a
// tenant profile or the AZURE_* environment, with the diagnosis of every failure (see
// validate.hpp). Exit 0 only if every requested check passed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

void add_validate_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
