// `mailharness fake`: run the fake Exchange Online + identity platform (DESIGN §4).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

void add_fake_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
