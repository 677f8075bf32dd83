// merge_reports(): shard reports combined into one, histograms merged exactly.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/json_doc.hpp"
#include "report/render.hpp"
#include "report/report_model.hpp"

namespace mh {

using namespace report_detail;

namespace {

int outcome_rank(const std::string& o) {
  return o == "error" ? 3 : o == "fail" ? 2 : o == "pass" ? 1 : 0;
}

int verdict_rank(const std::string& r) { return r == "fail" ? 2 : r == "pass" ? 1 : 0; }

// Adds the unsigned counters `keys` of `from` into `into` (creating `into` if needed).
void add_counters(json& into, const json& from, std::initializer_list<const char*> keys) {
  if (!from.is_object()) return;
  if (!into.is_object()) {
    into = from;
    return;
  }
  for (const char* k : keys)
    if (from.contains(k) || into.contains(k)) into[k] = count(into, k) + count(from, k);
}

// Phase maps: histograms merged exactly, summaries recomputed from the merged histogram.
void merge_phases(json& into, const json& from, const std::string& pointer) {
  if (!from.is_object()) return;
  if (!into.is_object()) {
    into = from;
    return;
  }
  for (const auto& [name, entry] : from.items()) {
    if (!into.contains(name)) {
      into[name] = entry;
      continue;
    }
    const json& ha = sub(into[name], "histogram");
    const json& hb = sub(entry, "histogram");
    if (!ha.is_object() || !hb.is_object())
      fail(pointer_append(pointer, name),
           "cannot be merged exactly: a shard has its summary but not its histogram");
    histogram h = histogram::from_json(ha);
    h.merge(histogram::from_json(hb));
    into[name] = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
  }
}

// Appends the elements of `from` whose key(e) is not yet in `into`; for a known key calls
// combine(existing, incoming).
template <class Key, class Combine>
void merge_by_key(json& into, const json& from, Key key, Combine combine) {
  if (!from.is_array()) return;
  if (!into.is_array()) into = json::array();
  for (const auto& e : from) {
    auto it = std::find_if(into.begin(), into.end(), [&](const json& x) { return key(x) == key(e); });
    if (it == into.end()) into.push_back(e);
    else combine(*it, e);
  }
}

void combine_records(json& a, const json& b, const std::string& pointer) {
  std::string oa = str(a, "outcome"), ob = str(b, "outcome");
  if (outcome_rank(ob) > outcome_rank(oa)) {
    a["outcome"] = ob;
    if (ob != "skip") a.erase("skip_reason");
  }
  if (b.contains("duration_s")) a["duration_s"] = std::max(num(a, "duration_s"), num(b, "duration_s"));
  merge_by_key(a["tags"], items(b, "tags"), [](const json& t) { return as_text(t); },
               [](json&, const json&) {});
  if (a["tags"].empty()) a.erase("tags");
  merge_by_key(a["checks"], items(b, "checks"), [](const json& c) { return str(c, "name"); },
               [](json& x, const json& y) {
                 if (flag(x, "ok") && !flag(y, "ok")) x = y;
               });
  if (a["checks"].empty()) a.erase("checks");
  if (b.contains("phases")) merge_phases(a["phases"], b["phases"], pointer + "/phases");
  if (b.contains("logins")) add_counters(a["logins"], b["logins"], {"attempts", "ok", "failed"});
  if (b.contains("tokens")) {
    json& t = a["tokens"];
    const json& tb = b["tokens"];
    bool had = t.is_object();
    json ra = sub(t, "min_remaining_s"), rb = sub(tb, "min_remaining_s");
    add_counters(t, tb, {"requests", "refreshes", "cache_hits", "expired_uses"});
    if (had && rb.is_number())
      t["min_remaining_s"] = ra.is_number() ? json(std::min(ra.get<double>(), rb.get<double>())) : rb;
  }
  merge_by_key(
      a["errors"], items(b, "errors"),
      [](const json& e) {
        return std::make_tuple(str(e, "class"), str(e, "code"), str(e, "phase"), str(e, "reply"),
                               str(e, "message"));
      },
      [](json& x, const json& y) { x["count"] = count(x, "count") + count(y, "count"); });
  if (a["errors"].empty()) a.erase("errors");
  merge_by_key(a["verdicts"], items(b, "verdicts"), [](const json& v) { return str(v, "name"); },
               [](json& x, const json& y) {
                 if (verdict_rank(str(y, "result")) > verdict_rank(str(x, "result"))) x = y;
               });
  if (a["verdicts"].empty()) a.erase("verdicts");
  merge_by_key(a["findings"], items(b, "findings"), [](const json& f) { return str(f, "id"); },
               [](json&, const json&) {});
  if (a["findings"].empty()) a.erase("findings");
  if (items(a, "transcript").empty() && !items(b, "transcript").empty())
    a["transcript"] = b["transcript"];
}

// Earliest (`latest` false) or latest timestamp; by time when all parse, else as text.
std::string pick_time(const std::vector<json>& reports, const char* key, bool latest) {
  std::string best;
  std::optional<double> best_t;
  bool all_parse = true;
  for (const auto& r : reports)
    if (!parse_timestamp(str(r, key))) all_parse = false;
  for (const auto& r : reports) {
    std::string s = str(r, key);
    if (s.empty()) continue;
    bool better;
    if (best.empty()) {
      better = true;
    } else if (all_parse) {
      double t = *parse_timestamp(s);
      better = latest ? t > *best_t : t < *best_t;
    } else {
      better = latest ? s > best : s < best;
    }
    if (better) {
      best = s;
      if (all_parse) best_t = parse_timestamp(s);
    }
  }
  return best;
}

// bench.timeline: seconds with the same "t" combined (ok and failed added, histograms merged
// exactly), ascending by t.
void merge_timeline(json& into, const json& from) {
  if (!from.is_array()) return;
  std::map<std::uint64_t, json> by_t;
  auto add = [&by_t](const json& e, const std::string& pointer) {
    if (!e.is_object()) return;
    auto [it, fresh] = by_t.emplace(count(e, "t"), e);
    if (fresh) return;
    const json& ha = sub(it->second, "histogram");
    const json& hb = sub(e, "histogram");
    if (!ha.is_object() || !hb.is_object())
      fail(pointer, "cannot be merged exactly: a shard has no histogram for second " + std::to_string(it->first));
    histogram h = histogram::from_json(ha);
    h.merge(histogram::from_json(hb));
    it->second = {{"t", it->first},
                  {"ok", count(it->second, "ok") + count(e, "ok")},
                  {"failed", count(it->second, "failed") + count(e, "failed")},
                  {"histogram", h.to_json()}};
  };
  for (std::size_t k = 0; into.is_array() && k < into.size(); ++k) add(into[k], "/bench/timeline");
  for (std::size_t k = 0; k < from.size(); ++k) add(from[k], "/bench/timeline/" + std::to_string(k));
  into = json::array();
  for (auto& [t, e] : by_t) into.push_back(std::move(e));
}

std::string shown(const json& v) {
  return v.is_null() ? "absent" : v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Shards of one benchmark run concurrently over the same window: what they measured adds up,
// the window is the longest, the load they offered adds up. `first` names the report `into`
// came from.
void merge_bench(json& into, const json& from, const std::string& first) {
  for (const char* key : {"protocol", "mechanism", "model", "token"}) {
    const json& va = sub(sub(into, "config"), key);
    const json& vb = sub(sub(from, "config"), key);
    if (va != vb)
      fail(std::string("/bench/config/") + key, shown(vb) + " cannot be merged with " + shown(va) + " (" + first + ")");
  }
  if (from.contains("phases")) merge_phases(into["phases"], from["phases"], "/bench/phases");
  const json& counters = sub(from, "counters");
  json& oc = into["counters"];
  // Server CPU is known only if every shard measured it.
  bool server_cpu = oc.is_object() && oc.contains("server_cpu_ns") && counters.contains("server_cpu_ns");
  if (!oc.is_object()) oc = json::object();
  if (counters.is_object())
    for (const auto& [k, v] : counters.items()) oc[k] = count(oc, k) + count(counters, k);
  if (!server_cpu) oc.erase("server_cpu_ns");
  if (from.contains("timeline")) merge_timeline(into["timeline"], from["timeline"]);
  if (sub(from, "window_s").is_number()) into["window_s"] = std::max(num(into, "window_s"), num(from, "window_s"));
  const json& cb = sub(from, "config");
  if (json& ca = into["config"]; ca.is_object()) {
    std::string model = str(ca, "model");
    if (model == "closed" && sub(ca, "concurrency").is_number() && sub(cb, "concurrency").is_number())
      ca["concurrency"] = count(ca, "concurrency") + count(cb, "concurrency");
    if (model == "open" && sub(ca, "rate").is_number() && sub(cb, "rate").is_number())
      ca["rate"] = num(ca, "rate") + num(cb, "rate");
  }
}

// cutover from the first report that has one; bench sections merged into the first one
// (`bench_from` names its report).
void merge_sections(json& out, const json& r, const std::string& label, std::string& bench_from) {
  if (!out.contains("cutover") && r.contains("cutover")) out["cutover"] = r["cutover"];
  const json& bench = sub(r, "bench");
  if (!bench.is_object()) return;
  if (!sub(out, "bench").is_object()) {
    out["bench"] = bench;
    bench_from = label;
    return;
  }
  merge_bench(out["bench"], bench, bench_from);
}

std::string nth(std::size_t i) { return "report " + std::to_string(i + 1); }

}  // namespace

json merge_reports(const std::vector<json>& reports) {
  if (reports.empty()) throw report_error("merge: no reports given");
  for (std::size_t i = 0; i < reports.size(); ++i) {
    try {
      check_report(reports[i]);
    } catch (const report_error& e) {
      throw report_error("merge: " + nth(i) + ": " + e.what());
    }
  }
  std::string command = str(reports[0], "command");
  std::set<std::uint64_t> shards;
  std::uint64_t shard_count = 0, inputs = 0;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (str(reports[i], "command") != command)
      throw report_error("merge: " + nth(i) + ": /command: \"" + str(reports[i], "command") +
                         "\" cannot be merged with \"" + command + "\" (" + nth(0) + ")");
    const json& merged = sub(reports[i], "merged");  // an earlier merge: its shards and inputs
    inputs += merged.is_object() ? std::max<std::uint64_t>(1, count(merged, "inputs")) : 1;
    for (const auto& s : items(merged, "shards"))
      if (s.is_number_unsigned() && !shards.insert(s.get<std::uint64_t>()).second)
        throw report_error("merge: " + nth(i) + ": /merged/shards: shard " + s.dump() +
                           " appears twice");
    const json& shard = sub(reports[i], "shard");
    if (!shard.is_object()) continue;
    std::uint64_t index = count(shard, "index"), n = count(shard, "count");
    std::string label = std::to_string(index) + "/" + std::to_string(n);
    if (index < 1 || index > n)
      throw report_error("merge: " + nth(i) + ": /shard: " + label + " is out of range");
    if (shard_count != 0 && n != shard_count)
      throw report_error("merge: " + nth(i) + ": /shard: " + label + " does not belong to a run of " +
                         std::to_string(shard_count) + " shards");
    shard_count = n;
    if (!shards.insert(index).second)
      throw report_error("merge: " + nth(i) + ": /shard: shard " + label + " appears twice");
  }

  json out = reports[0];
  out.erase("shard");
  out["started_at"] = pick_time(reports, "started_at", false);
  out["finished_at"] = pick_time(reports, "finished_at", true);
  json records = json::array();
  std::map<std::string, std::size_t> by_id;
  bool interrupted = false;
  double longest = 0;
  std::string bench_from = nth(0);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const json& r = reports[i];
    interrupted = interrupted || flag(r, "interrupted");
    longest = std::max(longest, num(sub(r, "summary"), "duration_s"));
    try {
      const json& recs = r["records"];
      for (std::size_t k = 0; k < recs.size(); ++k) {
        auto [it, fresh] = by_id.emplace(str(recs[k], "id"), records.size());
        if (fresh) records.push_back(recs[k]);
        else combine_records(records[it->second], recs[k], "/records/" + std::to_string(k));
      }
      if (i > 0) merge_sections(out, r, nth(i), bench_from);
    } catch (const report_error& e) {
      throw report_error("merge: " + nth(i) + ": " + e.what());
    }
  }
  out["records"] = std::move(records);
  out["interrupted"] = interrupted;
  auto t0 = parse_timestamp(str(out, "started_at"));
  auto t1 = parse_timestamp(str(out, "finished_at"));
  double duration = t0 && t1 && *t1 >= *t0 ? *t1 - *t0 : longest;
  out["summary"] = summarize_records(out["records"], duration);
  if (const json& b = sub(out, "bench"); sub(b, "counters").is_object() && sub(b, "window_s").is_number())
    out["bench"]["results"] = bench_results(b["counters"], num(b, "window_s"));
  json shard_list = json::array();
  for (auto s : shards) shard_list.push_back(s);
  out["merged"] = {{"inputs", inputs}, {"shards", std::move(shard_list)}};
  return out;
}

}  // namespace mh
