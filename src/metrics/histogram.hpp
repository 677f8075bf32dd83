// Mergeable latency histogram (DESIGN §6), HdrHistogram-style log-linear buckets.
//
// Values are durations in nanoseconds. 0..127 ns are counted exactly; above, every power of two
// [2^k, 2^(k+1)) is split into 64 equal sub-buckets, so a bucket is at most 1/64 of its lower
// bound wide and the value reported for it (its midpoint) is within 1/128 (0.79 %) of every
// value it holds. Trackable range 0 ns … 1 hour; larger values count as 1 hour, negative as 0.
// min, max, count and sum are kept exactly. The layout is fixed, so merging is a bucket-wise
// add: merging the histograms of shards gives exactly the histogram of all their values, in any
// order. record() is O(1) (a bit scan and an add; the first value in a power-of-two range
// allocates that range's 64 counters, so sparse histograms stay small).
//
// JSON form ("mailharness.histogram/1", documented in reports/README.md):
//   {"format":"mailharness.histogram/1","unit":"ns","sub_bucket_bits":6,"count":N,
//    "min":ns,"max":ns,"sum":ns,"runs":[[first_index,count,count,…],…]}
// `runs` lists the non-zero buckets as runs of consecutive bucket indexes, ascending.
// from_json() checks everything and throws histogram_error naming the offending field.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace mh {

struct histogram_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class histogram {
 public:
  static constexpr std::string_view format_name = "mailharness.histogram/1";
  static constexpr int sub_bucket_bits = 6;
  static constexpr std::uint64_t sub_bucket_half = 1u << sub_bucket_bits;          // 64
  static constexpr std::uint64_t max_value = 3'600'000'000'000ull;                 // 1 h in ns
  // The bucket of max_value (2^41 <= 1 h < 2^42: shift 35, sub-bucket 104) is the last one
  // used; storage is 37 chunks of 64 buckets.
  static constexpr std::size_t max_bucket = 35 * sub_bucket_half + (max_value >> 35);
  static constexpr std::size_t chunk_size = sub_bucket_half;
  static constexpr std::size_t chunk_count = max_bucket / chunk_size + 1;
  static constexpr std::size_t bucket_count = chunk_size * chunk_count;

  histogram() = default;
  histogram(const histogram& other);
  histogram& operator=(const histogram& other);
  histogram(histogram&&) noexcept = default;
  histogram& operator=(histogram&&) noexcept = default;

  // Counts `value_ns` (clamped to 0 … max_value) `n` times.
  void record(std::int64_t value_ns, std::uint64_t n = 1);
  void record(std::chrono::nanoseconds d, std::uint64_t n = 1) { record(d.count(), n); }
  // Adds every count of `other` (exact).
  void merge(const histogram& other);
  void reset();

  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // Exact smallest / largest recorded value (after clamping); 0 when empty.
  std::uint64_t min() const noexcept { return count_ ? min_ : 0; }
  std::uint64_t max() const noexcept { return max_; }
  // Exact sum of recorded values (saturates at 2^64-1 ns, about 584 years).
  std::uint64_t sum() const noexcept { return sum_; }
  double mean() const noexcept;
  // The value at percentile `q` (0 … 100): the midpoint of the bucket holding the value of
  // rank ceil(q/100·count), clamped to [min, max]; q <= 0 gives min, q >= 100 gives max.
  // 0 when empty.
  std::uint64_t percentile(double q) const;

  // The bucket of a value, and the range [lowest, highest] of values in a bucket.
  static std::size_t bucket_index(std::uint64_t value) noexcept;
  static std::uint64_t bucket_lowest(std::size_t index) noexcept;
  static std::uint64_t bucket_highest(std::size_t index) noexcept;
  std::uint64_t bucket(std::size_t index) const noexcept;

  // Visits the non-zero buckets in ascending order: f(index, count).
  template <class F>
  void for_each_bucket(F&& f) const {
    for (std::size_t c = 0; c < chunk_count; ++c) {
      if (!chunks_[c]) continue;
      for (std::size_t i = 0; i < chunk_size; ++i)
        if (auto n = (*chunks_[c])[i]) f(c * chunk_size + i, n);
    }
  }

  nlohmann::json to_json() const;
  // Throws histogram_error ("histogram: runs[2]: …") for anything but a valid histogram of
  // this layout.
  static histogram from_json(const nlohmann::json& j);

  // Same counts, count, min, max and sum.
  friend bool operator==(const histogram& a, const histogram& b);

 private:
  using chunk = std::array<std::uint64_t, chunk_size>;
  void add_bucket(std::size_t index, std::uint64_t n);
  std::array<std::unique_ptr<chunk>, chunk_count> chunks_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

// Latency summary in milliseconds, as report.json carries it next to each histogram:
// {"count","min","mean","p50","p90","p95","p99","p999","max"}. All zero when empty.
struct latency_summary {
  std::uint64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, p999 = 0, max = 0;

  static latency_summary of(const histogram& h);
  nlohmann::json to_json() const;
  friend bool operator==(const latency_summary&, const latency_summary&) = default;
};

}  // namespace mh
