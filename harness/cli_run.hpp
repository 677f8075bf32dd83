// `mailharness run [PATH…]`: runs scenario files or folders (no argument: the shipped default
// suite) against the embedded fake or a running fake's ready file, shows progress, and writes
// the report set (report.json, junit.xml, report.html, report.md) to --out. And `mailharness
// report render|merge` over stored report.json files.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace mh::cli {

void add_run_command(CLI::App& app, std::function<void(int)> on_exit);
void add_report_command(CLI::App& app, std::function<void(int)> on_exit);

// "--shard I/N" (1-based): {I, N}; nullopt for ""; throws CLI::ValidationError otherwise.
std::optional<std::pair<int, int>> parse_shard(const std::string& s);

// $XDG_STATE_HOME/mailharness/<leaf> (default ~/.local/state/mailharness/<leaf>): where an
// embedded fake keeps its CA and keys between runs.
std::string default_state_dir(const std::string& leaf);

}  // namespace mh::cli
