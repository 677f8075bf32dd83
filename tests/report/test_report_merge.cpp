// merge_reports(): shard reports combined exactly, and refused when they do not belong together.
#include <gtest/gtest.h>

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

json bench_report(int shard, const std::vector<std::int64_t>& auth_ns, const char* start, const char* end) {
  histogram h;
  for (auto v : auth_ns) h.record(v);
  json phase = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
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
          {"bench", {{"phases", {{"auth", phase}}}, {"counters", {{"logins", auth_ns.size()}}}}}};
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
  EXPECT_EQ(histogram::from_json(m["bench"]["phases"]["auth"]["histogram"]), expected);
  EXPECT_EQ(m["bench"]["counters"]["logins"], 9000);
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
  EXPECT_EQ(m["bench"]["model"], "closed");  // other bench fields from the first report
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
