// Scenario files (harness/scenario.hpp, scenarios/FORMAT.md): parse_scenarios() either
// returns scenarios that satisfy the documented constraints or throws config_error naming
// the file. substitute() and glob_match() are checked on pieces of the input against their
// documented behaviour (glob_match against a small reference matcher).
// fuzz-runs: 2000
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loader_check.hpp"
#include "scenario.hpp"

namespace {

const std::string file_name = "fuzz-scenario.json";

// Reference glob: '*' any run, '?' one character, everything else literal (dynamic programming).
bool glob_reference(std::string_view p, std::string_view t) {
  std::vector<std::vector<bool>> m(p.size() + 1, std::vector<bool>(t.size() + 1, false));
  m[0][0] = true;
  for (std::size_t i = 1; i <= p.size(); ++i) {
    for (std::size_t j = 0; j <= t.size(); ++j) {
      if (p[i - 1] == '*') m[i][j] = m[i - 1][j] || (j > 0 && m[i][j - 1]);
      else m[i][j] = j > 0 && m[i - 1][j - 1] && (p[i - 1] == '?' || p[i - 1] == t[j - 1]);
    }
  }
  return m[p.size()][t.size()];
}

void check_glob(std::string_view p, std::string_view t) {
  p = p.substr(0, 48);
  t = t.substr(0, 48);
  if (mh::cli::glob_match(p, t) != glob_reference(p, t)) __builtin_trap();
  if (!mh::cli::glob_match(t, t) || !mh::cli::glob_match("*", t)) __builtin_trap();
}

void check_substitute(const std::string& s, const std::map<std::string, std::string>& vars) {
  // Unknown names stay as written; text without "${" is never touched.
  if (mh::cli::substitute(s, {}) != s) __builtin_trap();
  std::string out = mh::cli::substitute(s, vars);
  if (s.find("${") == std::string::npos && out != s) __builtin_trap();
  // Only ${name} references change: the text before the first one is kept.
  auto first = s.find("${");
  if (first != std::string::npos && out.compare(0, first, s, 0, first) != 0) __builtin_trap();
}

bool one_of(const std::string& v, std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed)
    if (v == a) return true;
  return false;
}

void check_scenario(const mh::cli::scenario& s) {
  if (s.file != file_name || s.id.empty()) __builtin_trap();
  for (char c : s.id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) __builtin_trap();
  if (s.login.protocols.empty() || s.login.mechs.empty() || s.login.forms.empty() || s.login.users.empty())
    __builtin_trap();
  for (const auto& p : s.login.protocols)
    if (!one_of(p, {"imap", "pop3", "smtp"})) __builtin_trap();
  for (const auto& m : s.login.mechs)
    if (!one_of(m, {"xoauth2", "oauthbearer", "auto"})) __builtin_trap();
  for (const auto& f : s.login.forms)
    if (!one_of(f, {"auto", "initial-response", "two-step"})) __builtin_trap();
  if (s.login.timeout_ms < 1 || s.login.port < 0 || s.login.port > 65535 || s.login.max_line < 64) __builtin_trap();
  if (s.login.fetch && !s.login.probe) __builtin_trap();
  if (s.load.iterations < 1 || s.load.concurrency < 1 || s.load.duration_s < 0 || s.load.pause_ms < 0)
    __builtin_trap();
  if (!one_of(s.expect.outcome, {"pass", "fail"})) __builtin_trap();
  if (!one_of(s.token.flow, {"client-credentials", "password", "device-code", "auth-code", "static"}))
    __builtin_trap();
  if (s.token.flow != "client-credentials" && s.token.flow != "static" && s.token.user.empty()) __builtin_trap();
  for (const auto& [name, result] : s.expect.verdicts)
    if (!one_of(result, {"pass", "fail", "not_applicable"})) __builtin_trap();
  // Scenario variables and users go through substitute() at run time; ids through --id globs.
  for (const auto& u : s.login.users) check_substitute(u, s.vars);
  check_substitute(s.login.send_to, s.vars);
  check_glob(s.id, s.title);
  for (const auto& t : s.tags) check_glob(t, s.id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = mh::fuzz::text_of(data, size);
  std::vector<mh::cli::scenario> v;
  mh::fuzz::loads([&] { v = mh::cli::parse_scenarios(text, file_name); }, file_name);
  for (const auto& s : v) check_scenario(s);
  // The raw input as a pattern and a text too (an --id given on the command line).
  auto half = text.size() / 2;
  check_glob(text.substr(0, half), text.substr(half));
  check_substitute(std::string(text.substr(0, 256)), {{"mailbox", "alice@contoso.com"}, {"", "empty"}});
  return 0;
}
