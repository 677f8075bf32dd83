// The log-linear latency histogram: bucket layout, percentile accuracy against exact sorted
// values, exact merging, JSON round trip and rejection of bad JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "metrics/histogram.hpp"

using namespace mh;
using nlohmann::json;

namespace {

histogram of(const std::vector<std::int64_t>& values) {
  histogram h;
  for (auto v : values) h.record(v);
  return h;
}

// Nearest-rank percentile of sorted values, the definition histogram::percentile approximates.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (q <= 0) return sorted.front();
  if (q >= 100) return sorted.back();
  auto rank = static_cast<std::size_t>(std::ceil(q / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::vector<std::int64_t> lognormal(std::mt19937_64& rng, double median_ns, double sigma, int n) {
  std::lognormal_distribution<double> d(std::log(median_ns), sigma);
  std::vector<std::int64_t> v;
  for (int i = 0; i < n; ++i)
    v.push_back(std::min<std::int64_t>(static_cast<std::int64_t>(d(rng)), 3'600'000'000'000));
  return v;
}

std::vector<std::int64_t> log_uniform(std::mt19937_64& rng, int n) {
  // 1 µs … 1 h, evenly spread over the decades.
  std::uniform_real_distribution<double> d(std::log(1e3), std::log(3.6e12));
  std::vector<std::int64_t> v;
  for (int i = 0; i < n; ++i) v.push_back(static_cast<std::int64_t>(std::exp(d(rng))));
  return v;
}

}  // namespace

TEST(Histogram, BucketsAreContiguousAndNarrow) {
  ASSERT_EQ(histogram::bucket_index(histogram::max_value), histogram::max_bucket);
  ASSERT_LT(histogram::max_bucket, histogram::bucket_count);
  for (std::size_t i = 0; i < histogram::max_bucket; ++i) {
    ASSERT_EQ(histogram::bucket_highest(i) + 1, histogram::bucket_lowest(i + 1)) << i;
    ASSERT_EQ(histogram::bucket_index(histogram::bucket_lowest(i)), i);
    ASSERT_EQ(histogram::bucket_index(histogram::bucket_highest(i)), i);
    std::uint64_t width = histogram::bucket_highest(i) - histogram::bucket_lowest(i) + 1;
    if (i >= 128) ASSERT_LE(width * 64, histogram::bucket_lowest(i)) << i;
    else ASSERT_EQ(width, 1u);
  }
}

TEST(Histogram, SmallValuesAreExact) {
  histogram h;
  for (int v = 0; v < 128; ++v) h.record(v);
  for (int v = 0; v < 128; ++v) EXPECT_EQ(h.bucket(static_cast<std::size_t>(v)), 1u);
  EXPECT_EQ(h.percentile(50), 63u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 127u);
}

TEST(Histogram, PercentilesWithinStatedErrorOfExactValues) {
  std::mt19937_64 rng(42);
  std::vector<std::vector<std::int64_t>> sets = {
      lognormal(rng, 1e6, 0.5, 10000),     // around 1 ms
      lognormal(rng, 3e5, 1.5, 5000),      // wide
      log_uniform(rng, 20000),             // 1 µs … 1 h
      {5'000, 5'000, 5'000, 1'000'000'000}, // outlier
  };
  auto bimodal = lognormal(rng, 2e5, 0.2, 3000);
  auto slow = lognormal(rng, 5e7, 0.2, 300);
  bimodal.insert(bimodal.end(), slow.begin(), slow.end());
  sets.push_back(bimodal);

  for (auto& values : sets) {
    histogram h = of(values);
    std::sort(values.begin(), values.end());
    for (double q : {0.0, 0.1, 1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
      auto exact = static_cast<double>(exact_percentile(values, q));
      auto est = static_cast<double>(h.percentile(q));
      EXPECT_LE(std::abs(est - exact), exact / 128.0) << "q=" << q << " exact=" << exact << " est=" << est;
    }
    EXPECT_EQ(h.min(), static_cast<std::uint64_t>(values.front()));
    EXPECT_EQ(h.max(), static_cast<std::uint64_t>(values.back()));
    double mean = 0;
    for (auto v : values) mean += static_cast<double>(v);
    mean /= static_cast<double>(values.size());
    EXPECT_NEAR(h.mean(), mean, mean * 1e-9);
  }
}

TEST(Histogram, ClampsToTrackableRange) {
  histogram h;
  h.record(-5);
  h.record(std::int64_t{10} * 3'600'000'000'000);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), histogram::max_value);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.percentile(100), histogram::max_value);
}

TEST(Histogram, RecordWithCountAndDuration) {
  histogram a, b;
  a.record(std::chrono::microseconds(250), 3);
  for (int i = 0; i < 3; ++i) b.record(250'000);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.sum(), 750'000u);
  a.record(1, 0);  // counting zero times changes nothing
  EXPECT_EQ(a, b);
}

TEST(Histogram, EmptyHistogram) {
  histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  for (double q : {0.0, 50.0, 100.0}) EXPECT_EQ(h.percentile(q), 0u);
  EXPECT_EQ(latency_summary::of(h), latency_summary{});
  json j = h.to_json();
  EXPECT_EQ(j["runs"], json::array());
  EXPECT_EQ(histogram::from_json(j), h);
  histogram x = of({7, 9});
  histogram y = x;
  y.merge(h);
  EXPECT_EQ(y, x);
  h.merge(x);
  EXPECT_EQ(h, x);
}

TEST(Histogram, MergeIsExactAndAssociative) {
  std::mt19937_64 rng(7);
  auto all = lognormal(rng, 2e6, 1.0, 30000);
  std::vector<std::int64_t> parts[3];
  std::uniform_int_distribution<int> pick(0, 2);
  for (auto v : all) parts[pick(rng)].push_back(v);
  histogram a = of(parts[0]), b = of(parts[1]), c = of(parts[2]);
  histogram expected = of(all);

  histogram ab_c = a;
  ab_c.merge(b);
  ab_c.merge(c);
  histogram bc = b;
  bc.merge(c);
  histogram a_bc = a;
  a_bc.merge(bc);
  histogram cba = c;
  cba.merge(b);
  cba.merge(a);
  EXPECT_EQ(ab_c, expected);
  EXPECT_EQ(a_bc, expected);
  EXPECT_EQ(cba, expected);
  EXPECT_EQ(ab_c.sum(), expected.sum());
  EXPECT_EQ(latency_summary::of(ab_c), latency_summary::of(expected));
  // Through JSON, as `report merge` does.
  histogram via_json = histogram::from_json(a.to_json());
  via_json.merge(histogram::from_json(bc.to_json()));
  EXPECT_EQ(via_json, expected);
}

TEST(Histogram, CopyIsDeep) {
  histogram a = of({1000, 2000});
  histogram b = a;
  b.record(3000);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(b.count(), 3u);
  a = b;
  EXPECT_EQ(a, b);
}

TEST(Histogram, JsonRoundTripAndCompactness) {
  std::mt19937_64 rng(3);
  histogram h = of(lognormal(rng, 1e6, 0.8, 100000));
  json j = h.to_json();
  EXPECT_EQ(j["format"], "mailharness.histogram/1");
  EXPECT_EQ(histogram::from_json(j), h);
  EXPECT_EQ(histogram::from_json(json::parse(j.dump())), h);
  EXPECT_LT(j.dump().size(), 6000u);  // runs of counts, not 2368 buckets

  histogram one = of({1'234'567});
  json k = one.to_json();
  EXPECT_EQ(k["runs"].size(), 1u);
  EXPECT_LT(k.dump().size(), 200u);
  EXPECT_EQ(histogram::from_json(k), one);
}

TEST(Histogram, BadJsonIsRejectedWithAClearError) {
  json good = of({1000, 1001, 5000, 900'000}).to_json();
  struct bad_case {
    const char* what;
    std::function<void(json&)> mutate;
    const char* message;
  };
  std::vector<bad_case> cases = {
      {"not an object", [](json& j) { j = json::array(); }, "must be a JSON object"},
      {"wrong format", [](json& j) { j["format"] = "mailharness.histogram/2"; }, "format"},
      {"no format", [](json& j) { j.erase("format"); }, "format"},
      {"other unit", [](json& j) { j["unit"] = "us"; }, "unit"},
      {"other layout", [](json& j) { j["sub_bucket_bits"] = 7; }, "sub_bucket_bits"},
      {"count missing", [](json& j) { j.erase("count"); }, "count"},
      {"count is text", [](json& j) { j["count"] = "4"; }, "count"},
      {"negative min", [](json& j) { j["min"] = -1; }, "min"},
      {"float sum", [](json& j) { j["sum"] = 1.5; }, "sum"},
      {"runs missing", [](json& j) { j.erase("runs"); }, "runs"},
      {"runs an object", [](json& j) { j["runs"] = json::object(); }, "runs"},
      {"run too short", [](json& j) { j["runs"][0] = json::array({5}); }, "runs[0]"},
      {"run index text", [](json& j) { j["runs"][0][0] = "x"; }, "runs[0]"},
      {"index out of range", [](json& j) { j["runs"].push_back(json::array({99999, 1})); }, "out of range"},
      {"run past the end", [](json& j) { j["runs"].push_back(json::array({2344, 1, 1})); }, "out of range"},
      {"beyond 1 h", [](json& j) { j["runs"].push_back(json::array({2345, 1})); }, "out of range"},
      {"zero count", [](json& j) { j["runs"][0][1] = 0; }, "positive"},
      {"negative count", [](json& j) { j["runs"][0][1] = -3; }, "positive"},
      {"overlap", [](json& j) { j["runs"].push_back(j["runs"][0]); }, "ascending"},
      {"count mismatch", [](json& j) { j["count"] = 5; }, "does not match"},
      {"min elsewhere", [](json& j) { j["min"] = 10; }, "min"},
      {"max elsewhere", [](json& j) { j["max"] = 100'000'000; }, "max"},
      {"max beyond 1 h", [](json& j) { j["max"] = 4'000'000'000'000; }, "max"},
      {"sum impossible", [](json& j) { j["sum"] = 1; }, "sum"},
      {"empty with max", [](json& j) { j["runs"] = json::array(); j["count"] = 0; }, "empty"},
  };
  for (auto& c : cases) {
    json j = good;
    c.mutate(j);
    try {
      (void)histogram::from_json(j);
      ADD_FAILURE() << c.what << ": accepted";
    } catch (const histogram_error& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << c.what << ": " << e.what();
      EXPECT_EQ(std::string(e.what()).rfind("histogram: ", 0), 0u) << e.what();
    }
  }
}

TEST(Histogram, RandomlyDamagedJsonNeverCrashes) {
  json good = of({1000, 1001, 5000, 900'000, 3'000'000'000}).to_json();
  std::string text = good.dump();
  std::mt19937_64 rng(99);
  const std::string alphabet = "0123456789[],-.\"ex";
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string t = text;
    for (int k = 0; k < 3; ++k) {
      std::size_t pos = rng() % t.size();
      t[pos] = alphabet[rng() % alphabet.size()];
    }
    json j = json::parse(t, nullptr, false);
    if (j.is_discarded()) continue;
    try {
      histogram h = histogram::from_json(j);
      ++accepted;
      EXPECT_EQ(histogram::from_json(h.to_json()), h);  // whatever is accepted is consistent
    } catch (const histogram_error&) {
    }
  }
  SUCCEED() << accepted << " damaged documents were still valid";
}

TEST(Histogram, SummaryInMilliseconds) {
  histogram h;
  for (int i = 1; i <= 1000; ++i) h.record(std::chrono::microseconds(i * 100));  // 0.1 … 100 ms
  latency_summary s = latency_summary::of(h);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(s.min, 0.1);
  EXPECT_DOUBLE_EQ(s.max, 100.0);
  EXPECT_NEAR(s.mean, 50.05, 1e-9);
  EXPECT_NEAR(s.p50, 50.0, 50.0 / 128);
  EXPECT_NEAR(s.p90, 90.0, 90.0 / 128);
  EXPECT_NEAR(s.p99, 99.0, 99.0 / 128);
  EXPECT_NEAR(s.p999, 99.9, 99.9 / 128);
  json j = s.to_json();
  for (const char* k : {"count", "min", "mean", "p50", "p90", "p95", "p99", "p999", "max"})
    EXPECT_TRUE(j.contains(k)) << k;
}
