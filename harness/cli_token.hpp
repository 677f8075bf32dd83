// `mailharness token`: acquire an access token with one of the OAuth flows Exchange supports
// (client credentials with a secret or certificate, refresh token, device code, password),
// cache it in a 0600 file, and print a summary (the token itself only with --print-token);
// `--decode` shows header and claims and checks them for mail use.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace mh::cli {

void add_token_command(CLI::App& app, std::function<void(int)> on_exit);

}  // namespace mh::cli
