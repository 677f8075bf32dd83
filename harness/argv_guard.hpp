// Refuses secrets on the command line before anything parses it (issue 8). A command line is
// visible to every local user (ps, /proc/<pid>/cmdline) and stays in shell history and CI
// logs, so mailharness takes secrets only from files, standard input or the environment.
// Refused: options that would carry a secret (--client-secret, --password, --access-token,
// --refresh-token, --secret, and their =value forms), any argument shaped like a token (a
// JWT, an Entra refresh token or code), and a value of a --*-env option that is not a
// variable name (the secret itself was given instead of its variable's name).
// The message names the argument's position and option, never its value.
#pragma once

#include <optional>
#include <string>

namespace mh::cli {

// nullopt when the command line may be parsed; otherwise the error to print (exit 2).
std::optional<std::string> refuse_secret_arguments(int argc, const char* const* argv);

}  // namespace mh::cli
