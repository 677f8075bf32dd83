// `mailharness bench` (DESIGN §2, §6): OAuth login throughput and per-phase latency against
// the embedded fake, a running fake, any server or (capped) a real tenant. Writes the report
// set with a "bench" section (reports/README.md) and shows live progress on a terminal.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

void add_bench_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
