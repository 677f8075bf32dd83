// Reads an access token from a file ("-" = standard input) or an environment variable.
// Secrets are never taken from the command line itself (DESIGN §2).
#pragma once

#include <optional>
#include <string>

#include "core/secret.hpp"

namespace mh::cli {

struct token_read {
  std::optional<secret_string> token;
  std::string error;  // names the file or variable; never contains the token
};

// Trailing CR/LF/space are removed; an empty result is an error. A token containing
// whitespace or control characters inside is refused (a pasted JSON or two tokens).
token_read read_token_file(const std::string& path);
token_read read_token_env(const std::string& var);

}  // namespace mh::cli
