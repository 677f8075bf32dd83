#include "report_files.hpp"

#include <filesystem>

#include "core/files.hpp"
#include "report/render.hpp"

namespace mh::cli {

std::string report_json_text(const nlohmann::json& report) {
  return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void write_report_files(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  try {
    std::filesystem::create_directories(dir);
    write_files_atomically(files);
  } catch (const std::exception& e) {
    throw report_write_error("the report set was not written to " + dir + " (" + e.what() +
                             "); no report file there was replaced");
  }
}

void write_report_set(const nlohmann::json& report, const std::string& dir) {
  write_report_files(dir, {{dir + "/report.json", report_json_text(report)},
                           {dir + "/junit.xml", render_junit(report)},
                           {dir + "/report.html", render_html(report)},
                           {dir + "/report.md", render_markdown(report)}});
}

}  // namespace mh::cli
