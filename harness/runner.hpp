// The scenario runner behind `mailharness run` (DESIGN §5): for each scenario, a target
// environment (an embedded fake set up as the scenario says), the credential's token
// manager, the login matrix run under the scenario's load, the fake's verdicts, and the
// expectations checked. The result is a report.json document (reports/README.md); the
// renderers in src/report/ turn it into JUnit, HTML and Markdown.
//
// Targets: "embedded" (default; a fresh in-process fake per case), a fake's ready file
// (scenarios that change the tenant or need apps other than the demo app are skipped, with
// the reason), or a tenant profile (a real tenant: only scenarios that need no fake run, with
// the profile's credential, at most 2 connections and 3 logins per case). Secrets never enter the report: transcripts are redacted by login(),
// tokens appear as fingerprints.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace mh::cli {

struct run_progress {
  std::size_t done = 0, total = 0, failed = 0;
  std::string current;  // scenario id
};

struct run_options {
  std::string target = "embedded";   // "embedded" or a ready-file path
  std::string state_dir;             // embedded fakes' PKI and keys (reused across runs)
  std::optional<std::pair<int, int>> shard;  // {index (1-based), count}, recorded in the report
  bool shard_applied = false;                // the suite given is already this shard's part
  std::function<void(const run_progress&)> on_progress;
  const std::atomic<bool>* stop = nullptr;   // set by SIGINT: finish the current case, mark interrupted
  std::map<std::string, std::string> vars;   // --var name=value: override scenario variables
};

// Runs `suite` (already filtered) and returns the report document.
nlohmann::json run_suite(const std::vector<scenario>& suite, const run_options& o);

}  // namespace mh::cli
