// The report reader of `mailharness report render|merge` (src/report/render.hpp): a report.json
// is read like read_report() does (json_doc: config_error naming the file), checked with
// check_report() (report_error), then rendered as HTML, JUnit XML, Markdown and console text
// and merged. Once check_report() passed, rendering and merging never throw anything but
// report_error, and every rendered output is valid UTF-8 without control characters (a server
// reply stored in the report cannot inject terminal escapes or break the markup).
// fuzz-runs: 2500
#include <cstdint>
#include <string>
#include <vector>

#include "loader_check.hpp"
#include "report/render.hpp"

namespace {

void check_output(const std::string& out) {
  if (!mh::fuzz::valid_utf8(out)) __builtin_trap();
  for (unsigned char c : out)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = "/fuzz/out/report.json";
  nlohmann::json doc;
  if (!mh::fuzz::loads([&] { doc = mh::json_doc(mh::fuzz::text_of(data, size), file).root(); }, file)) return 0;
  try {
    mh::check_report(doc);
  } catch (const mh::report_error& e) {
    if (std::string_view(e.what()).empty()) __builtin_trap();
    return 0;
  }
  check_output(mh::render_html(doc));
  check_output(mh::render_junit(doc));
  std::string md = mh::render_markdown(doc);
  check_output(md);
  if (md.size() > mh::markdown_options{}.max_bytes) __builtin_trap();
  mh::markdown_options small;
  small.max_bytes = 2048;
  small.max_rows = 3;
  small.max_failures = 2;
  if (mh::render_markdown(doc, small).size() > small.max_bytes) __builtin_trap();
  check_output(mh::render_console(doc));

  // Merging: a single shard, and the report with itself, either merge into a report that
  // passes check_report() and renders, or are refused with report_error.
  for (std::size_t n : {1, 2}) {
    nlohmann::json merged;
    try {
      merged = mh::merge_reports(std::vector<nlohmann::json>(n, doc));
    } catch (const mh::report_error& e) {
      if (std::string_view(e.what()).empty()) __builtin_trap();
      continue;
    }
    try {
      mh::check_report(merged);
    } catch (const mh::report_error&) {
      __builtin_trap();
    }
    check_output(mh::render_markdown(merged, small));
  }
  return 0;
}
