// Writes the report set of a run, a validation or a merge: report.json, junit.xml,
// report.html and report.md in one folder, each atomically (a full disk or a crash never
// leaves a truncated report presented as complete).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mh::cli {

// All four files or none: on a full disk the previous set stays as it was, and
// report_write_error says which folder and why (the CLI exits 3: infrastructure failure).
void write_report_set(const nlohmann::json& report, const std::string& dir);
// The same for any set of (path, content) in `dir` (report render writes a chosen subset).
void write_report_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);
struct report_write_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// report.json's text: invalid UTF-8 from server replies is replaced, never a throw.
std::string report_json_text(const nlohmann::json& report);

}  // namespace mh::cli
