// Test driver for the report renderers, used by test_report_files.py:
//   mh_report_tool render REPORT.json OUTDIR   -> OUTDIR/{report.html,junit.xml,summary.md,console.txt}
//   mh_report_tool merge OUT.json IN.json...
// Exit 0 on success, 2 with the error on stderr for a bad report.
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "report/render.hpp"

namespace {

nlohmann::json load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw mh::report_error(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) throw mh::report_error(path + ": not valid JSON");
  return j;
}

void save(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw mh::report_error(path + ": cannot write");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 3 && args[0] == "render") {
      auto r = load(args[1]);
      save(args[2] + "/report.html", mh::render_html(r));
      save(args[2] + "/junit.xml", mh::render_junit(r));
      save(args[2] + "/summary.md", mh::render_markdown(r));
      save(args[2] + "/console.txt", mh::render_console(r));
      return 0;
    }
    if (args.size() >= 3 && args[0] == "merge") {
      std::vector<nlohmann::json> in;
      for (std::size_t i = 2; i < args.size(); ++i) in.push_back(load(args[i]));
      save(args[1], mh::merge_reports(in).dump(1) + "\n");
      return 0;
    }
    std::cerr << "usage: mh_report_tool render REPORT.json OUTDIR | merge OUT.json IN.json...\n";
    return 2;
  } catch (const mh::report_error& e) {
    std::cerr << "mh_report_tool: " << e.what() << "\n";
    return 2;
  }
}
