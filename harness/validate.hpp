// `mailharness validate` (issue 6): cutover preflight against a tenant. Before any mail
// connection: the authority answers (discovery document; clock skew against its HTTP Date),
// a token is acquired (or the AADSTS error is explained), its claims are checked for mail use
// per protocol, and a certificate credential's expiry is checked. Then every mailbox x
// protocol logs in with the post-auth probe, gently (one connection per mailbox at a time, a
// global cap, pacing), and every failure gets the diagnosis engine's findings. The result is
// the report set with a `cutover` section: ready / not ready per mailbox and protocol, and
// findings grouped by setup step with the affected mailboxes and one remediation block each.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "mailbox_list.hpp"
#include "token_config.hpp"

namespace mh::cli {

struct validate_options {
  token_options tokens;                // flow options; tokens.profile names the tenant profile
  std::vector<mailbox_entry> mailboxes;
  std::vector<std::string> protocols;  // requested: imap, pop3, smtp
  bool send_test_message = false;      // smtp: a message to the mailbox itself
  int concurrency = 4;                 // global connection cap (at most 8)
  int pace_ms = 200;                   // pause between one worker's logins
  double timeout_s = 30;
  std::string ca_file;                 // mail servers' CA (default: the profile's, else system)
  bool insecure = false;
};

// Runs the validation; progress lines go to `progress`. Throws usage_error / config_error for
// configuration problems (exit 2).
nlohmann::json run_validate(const validate_options& o, std::ostream& progress);

// Console text of the cutover section: the ready/not-ready table and one remediation block
// per setup step.
std::string render_cutover(const nlohmann::json& report);

}  // namespace mh::cli
