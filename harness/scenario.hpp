// Scenario files (DESIGN §5; format documented in scenarios/FORMAT.md): what a scenario
// needs from its target, how the fake is set up (tenant changes, faults, token lifetime),
// how the client gets its token, what it logs in to (a matrix over protocols, mechanisms,
// SASL forms and mailboxes), the load, and what must hold.
//
// Loading is strict: unknown keys, wrong types and bad values throw config_error naming the
// file, line, column and key, with the nearest valid key for a misspelling. Variables
// (${name}) are kept as written and substituted per run (substitute()).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mh::cli {

struct fake_setup {
  std::optional<int> token_lifetime_s;
  std::optional<int> auth_failure_delay_ms;
  nlohmann::json tenant_patch;                  // RFC 7386 merge patch on the tenant JSON
  std::vector<nlohmann::json> mail_faults;      // fault rules (fakes/mail/faults.hpp JSON)
  std::optional<nlohmann::json> token_fault;    // {"status","retry_after","count","delay_ms"}
  bool empty() const;
};

struct token_setup {
  std::string flow = "client-credentials";  // or password, device-code, auth-code, static
  std::string app = "good";                 // the tenant app (key) whose credentials are used
  std::string user;                         // delegated flows: the signing-in user
  std::string static_token;                 // flow "static": this literal is the token
};

struct login_setup {
  std::vector<std::string> protocols = {"imap"};
  std::vector<std::string> mechs = {"xoauth2"};  // xoauth2, oauthbearer, auto
  std::vector<std::string> forms = {"auto"};     // auto, initial-response, two-step
  std::vector<std::string> users = {"${mailbox}"};
  bool probe = true;
  std::string send_to;         // smtp: send a test message to this address
  bool fetch = false;          // imap/pop3: fetch the first message after the probe
  bool allow_unadvertised = false;
  int timeout_ms = 10000;
  int port = 0;                // > 0: connect here instead of the target's port (e.g. a closed one)
  std::size_t max_line = 64 * 1024;
};

struct load_setup {
  int iterations = 1;          // logins per worker (when duration_s is 0)
  int concurrency = 1;
  double duration_s = 0;       // > 0: each worker logs in until this much time has passed
  int pause_ms = 0;            // between a worker's logins
};

struct threshold {
  std::string metric;          // "<phase>.p50|p90|p95|p99|max" (ms) or "error_rate"
  double max = 0;
};

struct expectation {
  std::string outcome = "pass";     // pass: every login passed; fail: every login failed
  std::string error_class;          // rejected, protocol, tls, timeout, connect, local
  std::string error;                // errc name: login_denied, token_request_denied, …
  std::string phase;                // the failing phase
  std::string reply;                // the server's exact final reply
  std::string reply_contains;
  std::string token_error;          // AADSTS code or OAuth error of a refused token request
  std::string finding;              // the diagnosis's first finding id (src/diagnose/rules.json)
  std::vector<std::string> transcript_contains;
  std::map<std::string, std::string> verdicts;  // name (or "all") -> pass|fail|not_applicable
  std::optional<long long> max_token_requests;
  std::optional<long long> min_token_requests;
  std::optional<long long> expired_uses;        // token uses the fake saw with no lifetime left
  std::optional<long long> min_logins;
  std::vector<threshold> thresholds;
};

struct scenario {
  std::string file;
  std::string id;
  std::string title;
  std::vector<std::string> tags;
  std::vector<std::string> needs;   // "fake" (controls), "tenant-model" (apps other than the demo app)
  std::map<std::string, std::string> vars;
  fake_setup fake;
  token_setup token;
  login_setup login;
  load_setup load;
  expectation expect;
};

// Throws config_error.
std::vector<scenario> parse_scenarios(std::string_view text, const std::string& file);
std::vector<scenario> load_scenario_path(const std::string& path);  // a file or a folder (recursive, *.json)
// The shipped default suite, compiled into the binary.
std::vector<scenario> default_suite();

// ${name} replaced from `vars`; unknown names stay as written.
std::string substitute(const std::string& s, const std::map<std::string, std::string>& vars);

// Glob with * and ? (for --id).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace mh::cli
