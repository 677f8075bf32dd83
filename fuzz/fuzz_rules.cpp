// The diagnosis rules loader (src/diagnose, format mailharness.rules/1, src/diagnose/RULES.md)
// and the diagnosis of one failure. The input is a rules file, optionally followed by a line
// "%%evidence" and the evidence, one field per line:
//   reply / protocol / phase / error_class / error_code / "AADSTS HTTP error description"
//   (token error, empty for none) / app_only (0|1) / claims JSON / name=value...
// With no rules text before "%%evidence" the built-in rules are used.
// rulebook::parse either succeeds or throws config_error naming the file; diagnose() never
// throws, gives nothing for a passing login and, with the built-in rules (which end with a
// catch-all), at least one finding for a failure.
// fuzz-runs: 2000
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "diagnose/diagnose.hpp"
#include "loader_check.hpp"

namespace {

std::vector<std::string> split_lines(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto nl = s.find('\n', start);
    if (nl == std::string_view::npos) nl = s.size();
    out.emplace_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

mh::diagnose::evidence parse_evidence(std::string_view text) {
  auto lines = split_lines(text);
  lines.resize(std::max<std::size_t>(lines.size(), 8));
  mh::diagnose::evidence e;
  e.reply = lines[0];
  e.protocol = lines[1];
  e.phase = lines[2];
  e.error_class = lines[3];
  e.error_code = lines[4];
  if (!lines[5].empty()) {
    mh::diagnose::aad_evidence t;
    char* end = nullptr;
    t.code = std::strtoll(lines[5].c_str(), &end, 10);
    t.http_status = std::strtol(end, &end, 10);
    std::string rest = end;
    auto sp = rest.find(' ', 1);
    t.error = rest.substr(rest.empty() ? 0 : 1, sp == std::string::npos ? std::string::npos : sp - 1);
    t.description = sp == std::string::npos ? "" : rest.substr(sp + 1);
    e.token_error = t;
  }
  e.app_only = lines[6] != "0";
  if (auto c = nlohmann::json::parse(lines[7], nullptr, false); !c.is_discarded()) e.claims = c;
  for (std::size_t i = 8; i < lines.size(); ++i)
    if (auto eq = lines[i].find('='); eq != std::string::npos)
      e.values[lines[i].substr(0, eq)] = lines[i].substr(eq + 1);
  return e;
}

bool passed(const mh::diagnose::evidence& e) {
  return (e.error_class.empty() || e.error_class == "none") && (e.error_code.empty() || e.error_code == "ok") &&
         !e.token_error;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz-rules.json";
  std::string_view text = mh::fuzz::text_of(data, size);
  std::string_view rules_text = text, evidence_text;
  constexpr std::string_view marker = "%%evidence\n";
  if (auto m = text.find(marker); m != std::string_view::npos) {
    rules_text = text.substr(0, m);
    evidence_text = text.substr(m + marker.size());
  }
  const bool builtin = rules_text.empty();
  std::optional<mh::diagnose::rulebook> book;
  if (builtin) book = mh::diagnose::rulebook::builtin();
  else if (!mh::fuzz::loads([&] { book = mh::diagnose::rulebook::parse(rules_text, file); }, file)) return 0;

  auto ids = book->rule_ids();
  if (ids.size() != book->size()) __builtin_trap();
  mh::diagnose::evidence e = parse_evidence(evidence_text);
  auto d = book->diagnose(e);
  if (passed(e) != d.empty() && (passed(e) || builtin)) __builtin_trap();
  for (const auto& f : d.findings) {
    if (f.id.empty() || std::find(ids.begin(), ids.end(), f.rule) == ids.end()) __builtin_trap();
    if (f.confidence != "high" && f.confidence != "medium" && f.confidence != "low") __builtin_trap();
    // Several candidates always say what tells them apart.
    if (d.findings.size() > 1 && f.distinguish.empty()) __builtin_trap();
  }
  (void)mh::diagnose::to_json(d);
  return 0;
}
