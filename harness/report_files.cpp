#include "report_files.hpp"

#include <filesystem>

#include "core/files.hpp"
#include "report/render.hpp"

namespace mh::cli {

std::string report_json_text(const nlohmann::json& report) {
  return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_report_set(const nlohmann::json& report, const std::string& dir) {
  std::filesystem::create_directories(dir);
  write_file_atomically(dir + "/report.json", report_json_text(report));
  write_file_atomically(dir + "/junit.xml", render_junit(report));
  write_file_atomically(dir + "/report.html", render_html(report));
  write_file_atomically(dir + "/report.md", render_markdown(report));
}

}  // namespace mh::cli
