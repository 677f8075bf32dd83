#include "argv_guard.hpp"

#include <array>
#include <regex>
#include <string_view>

namespace mh::cli {
namespace {

struct secret_option {
  std::string_view name;
  std::string_view instead;
};

// Options people reach for by habit (curl, az, other tools), with where the secret goes here.
constexpr std::array<secret_option, 6> secret_options{{
    {"--client-secret", "--client-secret-env VAR or --client-secret-file FILE ('-' = stdin)"},
    {"--secret", "--client-secret-env VAR or --client-secret-file FILE ('-' = stdin)"},
    {"--password", "--password-env VAR or --password-file FILE ('-' = stdin)"},
    {"--access-token", "--token-env VAR or --token-file FILE ('-' = stdin)"},
    {"--refresh-token", "--refresh-token-file FILE ('-' = stdin)"},
    {"--bearer", "--token-env VAR or --token-file FILE ('-' = stdin)"},
}};

bool token_shaped(std::string_view v) {
  // A JWT (three base64url parts, header starting {"), or an Entra refresh token / code.
  static const std::regex jwt(R"(eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)");
  static const std::regex entra(R"((^|[^A-Za-z0-9])0\.A[A-Za-z0-9_-]{40,})");
  std::string s(v);
  return std::regex_search(s, jwt) || std::regex_search(s, entra);
}

bool env_name(std::string_view v) {
  if (v.empty() || (v[0] >= '0' && v[0] <= '9')) return false;
  for (char c : v)
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string where(int i, std::string_view opt) {
  return "argument " + std::to_string(i) + (opt.empty() ? std::string() : " (" + std::string(opt) + ")");
}

constexpr std::string_view why =
    ": secrets are not taken on the command line, where other users see them (ps) and shell "
    "history and CI logs keep them";

}  // namespace

std::optional<std::string> refuse_secret_arguments(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    std::string_view opt = a.substr(0, a.find('='));
    bool has_inline = opt.size() < a.size();
    for (const auto& s : secret_options)
      if (opt == s.name)
        return "refused " + where(i, opt) + std::string(why) + "; use " + std::string(s.instead) +
               ". The value was not used and is not shown.";
    if (opt.size() > 6 && opt.substr(0, 2) == "--" && opt.substr(opt.size() - 4) == "-env") {
      std::string_view value = has_inline ? a.substr(opt.size() + 1) : (i + 1 < argc ? argv[i + 1] : "");
      if (!value.empty() && !env_name(value))
        return "refused " + where(has_inline ? i : i + 1, opt) + ": " + std::string(opt) +
               " takes the NAME of an environment variable, and this value is not a variable name "
               "(was the secret itself given?). The value was not used and is not shown.";
    }
    if (token_shaped(a))
      return "refused " + where(i, a.substr(0, 2) == "--" ? opt : std::string_view()) +
             ": it looks like an access or refresh token" + std::string(why) +
             "; use --token-env VAR or --token-file FILE ('-' = stdin). The value is not shown.";
  }
  return std::nullopt;
}

}  // namespace mh::cli
