// `mailharness run [PATH…]`: runs scenario files or folders (no argument: the shipped default
// suite) against the embedded fake or a running fake's ready file, shows progress, and writes
// the report set (report.json, junit.xml, report.html, report.md) to --out. And `mailharness
// report render|merge` over stored report.json files.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

void add_run_command(CLI::App& app, std::function<void(int)> on_exit);
void add_report_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
