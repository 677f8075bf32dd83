// Writes the report set of a run, a validation or a merge: report.json, junit.xml,
// report.html and report.md in one folder, each atomically (a full disk or a crash never
// leaves a truncated report presented as complete).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mh::cli {

void write_report_set(const nlohmann::json& report, const std::string& dir);
// report.json's text: invalid UTF-8 from server replies is replaced, never a throw.
std::string report_json_text(const nlohmann::json& report);

}  // namespace mh::cli
