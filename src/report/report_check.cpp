// check_report() and summarize_records(): what every renderer and merge rely on.
#include <set>

#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

using namespace report_detail;

namespace {

// The optional "histogram" of the object at `at`, if present, is a valid histogram.
void check_histogram_of(const json& entry, const std::string& at) {
  const json& h = sub(entry, "histogram");
  if (h.is_null()) return;
  try {
    (void)histogram::from_json(h);
  } catch (const histogram_error& e) {
    fail(at + "/histogram", e.what());
  }
}

void check_histograms(const json& phases, const std::string& pointer) {
  if (phases.is_null()) return;
  if (!phases.is_object()) fail(pointer, "must be an object");
  for (const auto& [name, entry] : phases.items()) {
    std::string at = pointer + "/" + name;
    if (!entry.is_object()) fail(at, "must be an object");
    check_histogram_of(entry, at);
  }
}

// bench.timeline: what merge and the timeline chart rely on.
void check_timeline(const json& timeline) {
  if (timeline.is_null()) return;
  if (!timeline.is_array()) fail("/bench/timeline", "must be an array");
  for (std::size_t k = 0; k < timeline.size(); ++k) {
    std::string at = "/bench/timeline/" + std::to_string(k);
    const json& e = timeline[k];
    if (!e.is_object()) fail(at, "must be an object");
    const json& t = sub(e, "t");
    if (!t.is_number_unsigned() && !(t.is_number_integer() && t.get<std::int64_t>() >= 0))
      fail(at + "/t", "must be a non-negative integer");
    check_histogram_of(e, at);
  }
}

}  // namespace

void check_report(const json& doc) {
  if (!doc.is_object()) fail("", "a report must be a JSON object");
  const json& format = sub(doc, "format");
  if (!format.is_string())
    fail("/format", "missing; this is not a mailharness report");
  if (format != report_format)
    fail("/format", "\"" + format.get<std::string>() + "\" is not supported (expected \"" +
                        std::string(report_format) + "\")");
  std::string command = str(doc, "command");
  if (command != "run" && command != "validate" && command != "bench")
    fail("/command", "must be \"run\", \"validate\" or \"bench\"");
  const json& records = sub(doc, "records");
  if (!records.is_array()) fail("/records", "must be an array");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& rec = records[i];
    std::string at = "/records/" + std::to_string(i);
    if (!rec.is_object()) fail(at, "must be an object");
    if (str(rec, "id").empty()) fail(at + "/id", "must be a non-empty string");
    if (str(rec, "scenario").empty()) fail(at + "/scenario", "must be a non-empty string");
    std::string outcome = str(rec, "outcome");
    if (outcome != "pass" && outcome != "fail" && outcome != "skip" && outcome != "error")
      fail(at + "/outcome", "must be \"pass\", \"fail\", \"skip\" or \"error\"");
    for (const char* key : {"tags", "checks", "errors", "verdicts", "findings", "transcript"})
      if (rec.contains(key) && !rec[key].is_array()) fail(at + "/" + key, "must be an array");
    for (const char* key : {"checks", "errors", "verdicts", "findings"})
      for (std::size_t k = 0; k < items(rec, key).size(); ++k)
        if (!rec[key][k].is_object())
          fail(at + "/" + key + "/" + std::to_string(k), "must be an object");
    for (const char* key : {"logins", "tokens"})
      if (rec.contains(key) && !rec[key].is_object()) fail(at + "/" + key, "must be an object");
    check_histograms(sub(rec, "phases"), at + "/phases");
  }
  check_histograms(sub(sub(doc, "bench"), "phases"), "/bench/phases");
  check_timeline(sub(sub(doc, "bench"), "timeline"));
}

json summarize_records(const json& records, double duration_s) {
  std::set<std::string> scenarios;
  std::uint64_t passed = 0, failed = 0, skipped = 0, errors = 0, total = 0;
  if (records.is_array()) {
    for (const auto& rec : records) {
      ++total;
      scenarios.insert(str(rec, "scenario"));
      std::string o = str(rec, "outcome");
      if (o == "pass") ++passed;
      else if (o == "fail") ++failed;
      else if (o == "skip") ++skipped;
      else ++errors;
    }
  }
  return {{"scenarios", scenarios.size()}, {"records", total},   {"passed", passed},
          {"failed", failed},              {"skipped", skipped}, {"errors", errors},
          {"duration_s", duration_s < 0 ? 0.0 : duration_s}};
}

}  // namespace mh
