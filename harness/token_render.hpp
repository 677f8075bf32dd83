// Output of `mailharness token`: the summary (text or JSON) and the --decode report. Tokens
// appear only as fingerprints here; printing the token itself is the caller's decision.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "oauth/token_inspect.hpp"

namespace mh::cli {

struct token_summary {
  std::string flow;
  std::string fingerprint;     // of the access token
  bool jwt = false;
  std::size_t length = 0;
  std::int64_t expires_at = 0;
  std::int64_t now = 0;
  std::string scope;
  std::string refresh_fingerprint;  // empty: no refresh token
  std::string source;          // "token endpoint" or "cache" or "refreshed"
  int requests = 0;            // HTTP attempts
  std::string cache_path;      // empty: not cached
};

void print_summary(std::ostream& out, const token_summary& s);
nlohmann::json summary_json(const token_summary& s);
void print_inspection(std::ostream& out, const oauth::token_inspection& r);

}  // namespace mh::cli
