// merge_reports(): shard reports combined exactly, and refused when they do not belong together.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "metrics/histogram.hpp"
#include "report/render.hpp"
#include "report_fixture.hpp"

using namespace mh;
using nlohmann::json;

namespace {

std::string merge_error(const std::vector<json>& in) {
  try {
    (void)merge_reports(in);
  } catch (const report_error& e) {
    return e.what();
  }
  return "";
}

// A bench shard whose i-th login took auth_ns[i] and completed in second i % 10 of the window.
json bench_report(int shard, const std::vector<std::int64_t>& auth_ns, const char* start, const char* end) {
  histogram h;
  std::map<int, histogram> seconds;
  for (std::size_t i = 0; i < auth_ns.size(); ++i) {
    h.record(auth_ns[i]);
    seconds[static_cast<int>(i % 10)].record(auth_ns[i]);
  }
  json phase = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
  json timeline = json::array();
  for (const auto& [t, sh] : seconds)
    timeline.push_back({{"t", t}, {"ok", sh.count()}, {"failed", 0}, {"histogram", sh.to_json()}});
  json counters = {{"attempts", auth_ns.size()}, {"ok", auth_ns.size()}, {"failed", 0},
                   {"token_requests", 1}, {"client_cpu_ns", 1000 * auth_ns.size()}};
  double window = 9.5 + shard * 0.25;
  json rec = {{"id", "bench/imap"},
              {"scenario", "bench"},
              {"outcome", "pass"},
              {"phases", {{"auth", phase}}},
              {"logins", {{"attempts", auth_ns.size()}, {"ok", auth_ns.size()}, {"failed", 0}}},
              {"errors", json::array({{{"class", "rejected"}, {"code", "login_denied"}, {"phase", "auth"},
                                       {"reply", "A1 NO AUTHENTICATE failed."}, {"count", shard}}})}};
  return {{"format", "mailharness.report/1"},
          {"tool", {{"name", "mailharness"}, {"version", "0.1.0"}}},
          {"started_at", start},
          {"finished_at", end},
          {"interrupted", false},
          {"target", {{"kind", "embedded"}, {"description", "fake"}, {"tls_verify", true}}},
          {"command", "bench"},
          {"shard", {{"index", shard}, {"count", 3}}},
          {"summary", summarize_records(json::array({rec}), 1.0)},
          {"records", json::array({rec})},
          {"bench",
           {{"config", {{"protocol", "imap"}, {"mechanism", "xoauth2"}, {"model", "closed"},
                        {"concurrency", 4}, {"rate", nullptr}, {"token", "cached"}}},
            {"window_s", window},
            {"counters", counters},
            {"phases", {{"total", phase}}},
            {"timeline", timeline},
            {"results", bench_results(counters, window)}}}};
}

// Histograms of the timeline of a report, by second.
std::map<std::uint64_t, histogram> timeline_histograms(const json& r) {
  std::map<std::uint64_t, histogram> out;
  for (const auto& e : r["bench"]["timeline"]) out[e["t"].get<std::uint64_t>()].merge(histogram::from_json(e["histogram"]));
  return out;
}

}  // namespace

TEST(MergeReports, ShardHistogramsMergeExactly) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(std::log(4e5), 0.7);
  std::vector<std::int64_t> all, parts[3];
  for (int i = 0; i < 9000; ++i) {
    auto v = static_cast<std::int64_t>(d(rng));
    all.push_back(v);
    parts[i % 3].push_back(v);
  }
  std::vector<json> in = {bench_report(1, parts[0], "2024-05-01T12:00:01Z", "2024-05-01T12:00:11Z"),
                          bench_report(2, parts[1], "2024-05-01T12:00:00Z", "2024-05-01T12:00:09Z"),
                          bench_report(3, parts[2], "2024-05-01T12:00:02Z", "2024-05-01T12:00:12.5Z")};
  json m = merge_reports(in);
  histogram expected;
  for (auto v : all) expected.record(v);

  ASSERT_EQ(m["records"].size(), 1u);
  const json& rec = m["records"][0];
  EXPECT_EQ(histogram::from_json(rec["phases"]["auth"]["histogram"]), expected);
  EXPECT_EQ(rec["phases"]["auth"]["summary"], latency_summary::of(expected).to_json());
  EXPECT_EQ(histogram::from_json(m["bench"]["phases"]["total"]["histogram"]), expected);
  EXPECT_EQ(m["bench"]["phases"]["total"]["summary"], latency_summary::of(expected).to_json());
  EXPECT_EQ(m["bench"]["counters"]["attempts"], 9000);
  EXPECT_EQ(m["bench"]["counters"]["token_requests"], 3);
  // The timeline: second t holds the logins i with i % 10 == t of every shard.
  std::map<std::uint64_t, histogram> per_second;
  for (int k = 0; k < 3; ++k)
    for (std::size_t i = 0; i < parts[k].size(); ++i) per_second[i % 10].record(parts[k][i]);
  EXPECT_EQ(timeline_histograms(m), per_second);
  ASSERT_EQ(m["bench"]["timeline"].size(), 10u);
  EXPECT_EQ(m["bench"]["timeline"][3]["ok"], per_second[3].count());
  EXPECT_EQ(m["bench"]["config"]["concurrency"], 12);  // 3 shards x 4 workers
  EXPECT_DOUBLE_EQ(m["bench"]["window_s"].get<double>(), 10.25);  // the longest
  EXPECT_EQ(m["bench"]["results"], bench_results(m["bench"]["counters"], 10.25));
  EXPECT_DOUBLE_EQ(m["bench"]["results"]["logins_per_s"].get<double>(), 9000 / 10.25);
  EXPECT_EQ(rec["logins"]["attempts"], 9000);
  ASSERT_EQ(rec["errors"].size(), 1u);
  EXPECT_EQ(rec["errors"][0]["count"], 6);  // 1 + 2 + 3, grouped by class/code/phase/reply
  EXPECT_EQ(m["started_at"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(m["finished_at"], "2024-05-01T12:00:12.5Z");
  EXPECT_DOUBLE_EQ(m["summary"]["duration_s"].get<double>(), 12.5);
  EXPECT_EQ(m["summary"]["records"], 1);
  EXPECT_FALSE(m.contains("shard"));
  EXPECT_EQ(m["merged"], (json{{"inputs", 3}, {"shards", {1, 2, 3}}}));
  check_report(m);

  // Merge order does not matter for the histograms; merging merged reports is associative.
  json reversed = merge_reports({in[2], in[1], in[0]});
  EXPECT_EQ(reversed["records"][0]["phases"], rec["phases"]);
  json first_two = merge_reports({in[0], in[1]});
  json nested = merge_reports({first_two, in[2]});
  EXPECT_EQ(nested["records"][0]["phases"], rec["phases"]);
  EXPECT_EQ(nested["merged"], m["merged"]);
  EXPECT_EQ(reversed["bench"]["timeline"], m["bench"]["timeline"]);
  EXPECT_EQ(nested["bench"], m["bench"]);
  EXPECT_NE(merge_error({first_two, in[1]}).find("shard 2/3 appears twice"), std::string::npos);
}

TEST(MergeReports, FixtureShards) {
  json a = load_fixture("bench_shard1.json"), b = load_fixture("bench_shard2.json");
  json m = merge_reports({a, b});
  histogram h = histogram::from_json(a["records"][0]["phases"]["total"]["histogram"]);
  h.merge(histogram::from_json(b["records"][0]["phases"]["total"]["histogram"]));
  EXPECT_EQ(histogram::from_json(m["records"][0]["phases"]["total"]["histogram"]), h);
  EXPECT_TRUE(m["interrupted"].get<bool>());  // shard 2 was interrupted
  // 13:59:59.5+02:00 is 11:59:59.5Z: earlier than shard 1's start although it sorts later as text.
  EXPECT_EQ(m["started_at"], "2024-05-01T13:59:59.5+02:00");
  EXPECT_EQ(m["finished_at"], "2024-05-01T12:00:10.5Z");
  EXPECT_DOUBLE_EQ(m["summary"]["duration_s"].get<double>(), 11.0);
  EXPECT_EQ(m["records"][0]["tokens"]["requests"], 2);
  EXPECT_DOUBLE_EQ(m["records"][0]["tokens"]["min_remaining_s"].get<double>(), 3001.0);
  // bench: counters added, results recomputed, the timeline merged second by second.
  const json& mb = m["bench"];
  EXPECT_EQ(mb["counters"]["attempts"], 1000);
  EXPECT_EQ(mb["counters"]["failed"], 2);
  EXPECT_EQ(mb["counters"]["server_cpu_ns"],
            a["bench"]["counters"]["server_cpu_ns"].get<std::uint64_t>() + b["bench"]["counters"]["server_cpu_ns"].get<std::uint64_t>());
  EXPECT_EQ(mb["config"]["concurrency"], 8);
  EXPECT_EQ(mb["config"]["duration_s"], 10);  // other config fields from the first report
  EXPECT_DOUBLE_EQ(mb["window_s"].get<double>(), 10.002);
  EXPECT_EQ(mb["results"], bench_results(mb["counters"], 10.002));
  EXPECT_DOUBLE_EQ(mb["results"]["error_rate"].get<double>(), 0.002);
  std::map<std::uint64_t, histogram> seconds = timeline_histograms(a);
  for (auto& [t, sh] : timeline_histograms(b)) seconds[t].merge(sh);
  EXPECT_EQ(timeline_histograms(m), seconds);
  EXPECT_EQ(mb["timeline"][4]["ok"], 98);
  EXPECT_EQ(mb["timeline"][4]["failed"], 2);
  histogram all_seconds;
  for (auto& [t, sh] : seconds) all_seconds.merge(sh);
  EXPECT_EQ(all_seconds, histogram::from_json(mb["phases"]["total"]["histogram"]));
}

TEST(MergeReports, BenchTimelineBySecond) {
  // Shards whose windows cover different seconds: every second is kept, shared ones combined.
  json a = load_fixture("bench_shard1.json"), b = load_fixture("bench_shard2.json");
  json& tb = b["bench"]["timeline"];
  tb.erase(tb.begin(), tb.begin() + 5);  // b: seconds 5..9, then 10..12
  for (std::uint64_t t = 10; t < 13; ++t) {
    histogram h;
    h.record(static_cast<std::int64_t>(t) * 1'000'000);
    tb.push_back({{"t", t}, {"ok", 0}, {"failed", 1}, {"histogram", h.to_json()}});
  }
  std::swap(tb[0], tb[7]);  // input order does not matter
  json m = merge_reports({a, b});
  const json& tl = m["bench"]["timeline"];
  ASSERT_EQ(tl.size(), 13u);
  for (std::size_t k = 0; k < tl.size(); ++k) EXPECT_EQ(tl[k]["t"], k);
  EXPECT_EQ(tl[2], a["bench"]["timeline"][2]);  // only in shard 1: as it was
  EXPECT_EQ(tl[11]["failed"], 1);
  EXPECT_EQ(tl[6]["ok"], 100);
  histogram six = histogram::from_json(a["bench"]["timeline"][6]["histogram"]);
  six.merge(histogram::from_json(load_fixture("bench_shard2.json")["bench"]["timeline"][6]["histogram"]));
  EXPECT_EQ(histogram::from_json(tl[6]["histogram"]), six);

  // A second in both shards, one without its histogram, cannot be merged exactly.
  json no_hist = load_fixture("bench_shard2.json");
  no_hist["bench"]["timeline"][3].erase("histogram");
  EXPECT_EQ(merge_error({a, no_hist}),
            "merge: report 2: /bench/timeline/3: cannot be merged exactly: a shard has no histogram for second 3");
}

TEST(MergeReports, BenchConfigMustAgree) {
  json a = load_fixture("bench_shard1.json"), b = load_fixture("bench_shard2.json");
  json x = b;
  x["bench"]["config"]["model"] = "open";
  EXPECT_EQ(merge_error({a, x}),
            "merge: report 2: /bench/config/model: \"open\" cannot be merged with \"closed\" (report 1)");
  for (const char* key : {"protocol", "mechanism", "token"}) {
    x = b;
    x["bench"]["config"][key] = "other";
    EXPECT_EQ(merge_error({a, x}), std::string("merge: report 2: /bench/config/") + key + ": \"other\" cannot be merged with " +
                                       a["bench"]["config"][key].dump() + " (report 1)");
  }
  x = b;
  x["bench"]["config"].erase("token");
  EXPECT_EQ(merge_error({a, x}), "merge: report 2: /bench/config/token: absent cannot be merged with \"cached\" (report 1)");
  // The message names the report the bench section came from, not always report 1.
  json no_bench = a;
  no_bench.erase("bench");
  no_bench.erase("shard");
  x = b;
  x["bench"]["config"]["protocol"] = "pop3";
  EXPECT_EQ(merge_error({no_bench, a, x}),
            "merge: report 3: /bench/config/protocol: \"pop3\" cannot be merged with \"imap\" (report 2)");
  // Other settings may differ: the shards' share of the load is summed.
  x = b;
  x["bench"]["config"]["concurrency"] = 6;
  x["bench"]["config"]["client_threads"] = 2;
  EXPECT_EQ(merge_reports({a, x})["bench"]["config"]["concurrency"], 10);
}

TEST(MergeReports, BenchOpenModelSumsTheRate) {
  json a = load_fixture("bench_shard1.json"), b = load_fixture("bench_shard2.json");
  for (json* r : {&a, &b}) {
    json& c = (*r)["bench"]["config"];
    c["model"] = "open";
    c["concurrency"] = nullptr;
    c["rate"] = 250.5;
    c["max_inflight"] = 64;
  }
  json m = merge_reports({a, b});
  EXPECT_DOUBLE_EQ(m["bench"]["config"]["rate"].get<double>(), 501.0);
  EXPECT_TRUE(m["bench"]["config"]["concurrency"].is_null());
  EXPECT_EQ(m["bench"]["config"]["max_inflight"], 64);
}

TEST(MergeReports, BenchServerCpuOnlyWhenEveryShardKnowsIt) {
  json a = load_fixture("bench_shard1.json"), b = load_fixture("bench_shard2.json");
  b["bench"]["counters"].erase("server_cpu_ns");
  b["bench"]["counters"]["late_starts"] = 7;
  json m = merge_reports({a, b});
  EXPECT_FALSE(m["bench"]["counters"].contains("server_cpu_ns"));
  EXPECT_TRUE(m["bench"]["results"]["server_cpu_per_login_us"].is_null());
  EXPECT_EQ(m["bench"]["counters"]["late_starts"], 7);
  EXPECT_FALSE(merge_reports({b, a})["bench"]["counters"].contains("server_cpu_ns"));
  EXPECT_TRUE(merge_reports({a, load_fixture("bench_shard2.json")})["bench"]["counters"].contains("server_cpu_ns"));
}

TEST(BenchResults, DerivedFromCounters) {
  json c = {{"attempts", 1000}, {"ok", 990}, {"failed", 10}, {"token_requests", 2},
            {"client_cpu_ns", 297'000'000}, {"server_cpu_ns", 99'000'000}};
  json r = bench_results(c, 9.9);
  EXPECT_DOUBLE_EQ(r["logins_per_s"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(r["error_rate"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(r["client_cpu_per_login_us"].get<double>(), 300.0);
  EXPECT_DOUBLE_EQ(r["server_cpu_per_login_us"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(r["token_requests_per_login"].get<double>(), 2.0 / 990);
  EXPECT_EQ(r.size(), 5u);

  c.erase("server_cpu_ns");
  EXPECT_TRUE(bench_results(c, 9.9)["server_cpu_per_login_us"].is_null());

  json none = bench_results({{"attempts", 0}, {"ok", 0}, {"failed", 0}, {"token_requests", 0}, {"client_cpu_ns", 0},
                             {"server_cpu_ns", 0}},
                            10);
  EXPECT_EQ(none, (json{{"logins_per_s", 0.0}, {"error_rate", 0.0}, {"client_cpu_per_login_us", nullptr},
                        {"server_cpu_per_login_us", nullptr}, {"token_requests_per_login", nullptr}}));
  json all_failed = bench_results({{"attempts", 5}, {"ok", 0}, {"failed", 5}, {"client_cpu_ns", 10}}, 1);
  EXPECT_DOUBLE_EQ(all_failed["error_rate"].get<double>(), 1.0);
  EXPECT_TRUE(all_failed["client_cpu_per_login_us"].is_null());
  // No window, or malformed counters: still numbers, never NaN or infinity.
  EXPECT_EQ(bench_results({{"ok", 5}, {"attempts", 5}}, 0)["logins_per_s"], 0.0);
  EXPECT_EQ(bench_results("x", 1)["error_rate"], 0.0);
}

TEST(MergeReports, DistinctRecordsAreConcatenated) {
  json a = load_fixture("run_mixed.json");
  json b = a;
  for (auto& rec : b["records"]) rec["id"] = "shard2/" + rec["id"].get<std::string>();
  b["records"][0]["outcome"] = "fail";
  json m = merge_reports({a, b});
  EXPECT_EQ(m["records"].size(), 14u);
  EXPECT_EQ(m["summary"]["records"], 14);
  EXPECT_EQ(m["summary"]["passed"], 3);
  EXPECT_EQ(m["summary"]["failed"], 7);
  EXPECT_EQ(m["summary"]["scenarios"], 6);
  EXPECT_EQ(m["records"][7]["id"], "shard2/" + a["records"][0]["id"].get<std::string>());
  EXPECT_EQ(m["merged"]["shards"], json::array());
}

TEST(MergeReports, SameRecordTakesTheWorstOutcome) {
  json a = load_fixture("run_mixed.json");
  json b = a;
  b["records"][0]["outcome"] = "fail";
  b["records"][0]["checks"][0]["ok"] = false;
  b["records"][0]["checks"][0]["actual"] = "rejected";
  json m = merge_reports({a, b});
  ASSERT_EQ(m["records"].size(), 7u);
  EXPECT_EQ(m["records"][0]["outcome"], "fail");
  EXPECT_EQ(m["records"][0]["checks"][0]["ok"], false);
  EXPECT_EQ(m["records"][0]["checks"].size(), 2u);
  EXPECT_EQ(m["records"][0]["logins"]["attempts"], 80);
  EXPECT_EQ(m["records"][0]["phases"]["auth"]["summary"]["count"], 80);
  EXPECT_EQ(m["records"][3]["outcome"], "skip");  // skip + skip stays a skip
}

TEST(MergeReports, RefusesWhatDoesNotBelongTogether) {
  json run = load_fixture("run_mixed.json");
  json b1 = load_fixture("bench_shard1.json"), b2 = load_fixture("bench_shard2.json");
  EXPECT_EQ(merge_error({}), "merge: no reports given");
  EXPECT_EQ(merge_error({run, b1}),
            "merge: report 2: /command: \"bench\" cannot be merged with \"run\" (report 1)");
  json other = run;
  other["format"] = "mailharness.report/9";
  EXPECT_NE(merge_error({run, other}).find("merge: report 2: /format:"), std::string::npos);
  EXPECT_NE(merge_error({b1, b1}).find("merge: report 2: /shard: shard 1/2 appears twice"), std::string::npos);
  json odd = b2;
  odd["shard"]["count"] = 3;
  EXPECT_NE(merge_error({b1, odd}).find("does not belong to a run of 2 shards"), std::string::npos);
  json out_of_range = b2;
  out_of_range["shard"]["index"] = 5;
  EXPECT_NE(merge_error({b1, out_of_range}).find("5/2 is out of range"), std::string::npos);
  json no_hist = b2;
  no_hist["records"][0]["phases"]["auth"].erase("histogram");
  EXPECT_EQ(merge_error({b1, no_hist}),
            "merge: report 2: /records/0/phases/auth: cannot be merged exactly: a shard has its summary but not its histogram");
  json broken = b2;
  broken["records"][0]["phases"]["auth"]["histogram"]["runs"] = "x";
  EXPECT_NE(merge_error({b1, broken}).find("merge: report 2: /records/0/phases/auth/histogram: histogram: runs"),
            std::string::npos);
}

TEST(MergeReports, SingleReportIsNormalised) {
  json a = load_fixture("run_mixed.json");
  json m = merge_reports({a});
  EXPECT_EQ(m["records"], a["records"]);
  EXPECT_EQ(m["summary"], a["summary"]);
  EXPECT_EQ(m["merged"]["inputs"], 1);
}
