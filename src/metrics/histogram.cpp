#include "metrics/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace mh {
namespace {

constexpr std::uint64_t linear_limit = 2 * histogram::sub_bucket_half;  // 128: exact below

std::uint64_t add_saturating(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r = a + b;
  return r < a ? std::numeric_limits<std::uint64_t>::max() : r;
}

std::uint64_t mul_saturating(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw histogram_error("histogram: " + where + (where.empty() ? "" : ": ") + what);
}

// Non-negative integers: parsed JSON holds them as unsigned, JSON built in C++ as signed.
bool is_count(const nlohmann::json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
}

std::uint64_t unsigned_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) bad("", std::string("missing field \"") + key + "\"");
  if (!is_count(*it)) bad(key, "must be a non-negative integer");
  return it->get<std::uint64_t>();
}

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

histogram::histogram(const histogram& other)
    : count_(other.count_), min_(other.min_), max_(other.max_), sum_(other.sum_) {
  for (std::size_t c = 0; c < chunk_count; ++c)
    if (other.chunks_[c]) chunks_[c] = std::make_unique<chunk>(*other.chunks_[c]);
}

histogram& histogram::operator=(const histogram& other) {
  if (this != &other) {
    histogram copy(other);
    *this = std::move(copy);
  }
  return *this;
}

std::size_t histogram::bucket_index(std::uint64_t value) noexcept {
  if (value > max_value) value = max_value;
  if (value < linear_limit) return static_cast<std::size_t>(value);
  int shift = static_cast<int>(std::bit_width(value)) - 1 - sub_bucket_bits;
  return static_cast<std::size_t>(shift) * sub_bucket_half +
         static_cast<std::size_t>(value >> shift);
}

std::uint64_t histogram::bucket_lowest(std::size_t index) noexcept {
  if (index < linear_limit) return index;
  std::size_t shift = index / sub_bucket_half - 1;
  return (index % sub_bucket_half + sub_bucket_half) << shift;
}

std::uint64_t histogram::bucket_highest(std::size_t index) noexcept {
  if (index < linear_limit) return index;
  std::size_t shift = index / sub_bucket_half - 1;
  return bucket_lowest(index) + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t histogram::bucket(std::size_t index) const noexcept {
  if (index >= bucket_count) return 0;
  const auto& c = chunks_[index / chunk_size];
  return c ? (*c)[index % chunk_size] : 0;
}

void histogram::add_bucket(std::size_t index, std::uint64_t n) {
  auto& c = chunks_[index / chunk_size];
  if (!c) c = std::make_unique<chunk>();
  (*c)[index % chunk_size] += n;
}

void histogram::record(std::int64_t value_ns, std::uint64_t n) {
  if (n == 0) return;
  std::uint64_t v = value_ns < 0 ? 0 : std::min(static_cast<std::uint64_t>(value_ns), max_value);
  add_bucket(bucket_index(v), n);
  if (count_ == 0 || v < min_) min_ = v;
  if (v > max_) max_ = v;
  count_ += n;
  sum_ = add_saturating(sum_, mul_saturating(v, n));
}

void histogram::merge(const histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t c = 0; c < chunk_count; ++c) {
    if (!other.chunks_[c]) continue;
    if (!chunks_[c]) {
      chunks_[c] = std::make_unique<chunk>(*other.chunks_[c]);
      continue;
    }
    for (std::size_t i = 0; i < chunk_size; ++i) (*chunks_[c])[i] += (*other.chunks_[c])[i];
  }
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ = add_saturating(sum_, other.sum_);
}

void histogram::reset() { *this = histogram(); }

double histogram::mean() const noexcept {
  return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0;
}

std::uint64_t histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  if (!(q > 0)) return min_;  // also NaN
  if (q >= 100) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(q / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  std::uint64_t result = max_;
  bool found = false;
  for_each_bucket([&](std::size_t index, std::uint64_t n) {
    if (found) return;
    seen += n;
    if (seen >= rank) {
      std::uint64_t lo = bucket_lowest(index);
      result = lo + (bucket_highest(index) - lo) / 2;
      found = true;
    }
  });
  return std::clamp(result, min_, max_);
}

nlohmann::json histogram::to_json() const {
  auto runs = nlohmann::json::array();
  std::size_t next = 0;  // index after the last bucket of the current run
  for_each_bucket([&](std::size_t index, std::uint64_t n) {
    if (runs.empty() || index != next) runs.push_back(nlohmann::json::array({index}));
    runs.back().push_back(n);
    next = index + 1;
  });
  return {{"format", format_name}, {"unit", "ns"},        {"sub_bucket_bits", sub_bucket_bits},
          {"count", count_},       {"min", min()},        {"max", max_},
          {"sum", sum_},           {"runs", std::move(runs)}};
}

histogram histogram::from_json(const nlohmann::json& j) {
  if (!j.is_object()) bad("", "must be a JSON object");
  auto fmt = j.find("format");
  if (fmt == j.end() || !fmt->is_string()) bad("", "missing field \"format\"");
  if (*fmt != format_name)
    bad("format", "\"" + fmt->get<std::string>() + "\" is not supported (expected \"" +
                      std::string(format_name) + "\")");
  auto unit = j.find("unit");
  if (unit == j.end() || *unit != "ns") bad("unit", "must be \"ns\"");
  if (unsigned_field(j, "sub_bucket_bits") != sub_bucket_bits)
    bad("sub_bucket_bits", "must be " + std::to_string(sub_bucket_bits));
  std::uint64_t count = unsigned_field(j, "count");
  std::uint64_t mn = unsigned_field(j, "min");
  std::uint64_t mx = unsigned_field(j, "max");
  std::uint64_t sum = unsigned_field(j, "sum");
  auto runs = j.find("runs");
  if (runs == j.end() || !runs->is_array()) bad("runs", "must be an array");

  histogram h;
  std::uint64_t total = 0;
  std::size_t next = 0;
  for (std::size_t r = 0; r < runs->size(); ++r) {
    const auto& run = (*runs)[r];
    std::string where = "runs[" + std::to_string(r) + "]";
    if (!run.is_array() || run.size() < 2)
      bad(where, "must be [first_index, count, …] with at least one count");
    if (!is_count(run[0])) bad(where, "first index must be a non-negative integer");
    auto first = run[0].get<std::uint64_t>();
    if (first < next) bad(where, "runs must be ascending and must not overlap");
    constexpr std::size_t end = max_bucket + 1;
    if (first >= end || run.size() - 1 > end - first)
      bad(where, "bucket index out of range 0.." + std::to_string(max_bucket));
    for (std::size_t k = 1; k < run.size(); ++k) {
      if (!is_count(run[k]) || run[k].get<std::uint64_t>() == 0)
        bad(where, "counts must be positive integers");
      std::uint64_t n = run[k].get<std::uint64_t>();
      if (total + n < total) bad(where, "counts overflow");
      total += n;
      h.add_bucket(static_cast<std::size_t>(first + k - 1), n);
    }
    next = static_cast<std::size_t>(first + run.size() - 1);
  }
  if (total != count)
    bad("count", std::to_string(count) + " does not match the bucket counts (" +
                     std::to_string(total) + ")");
  if (count == 0) {
    if (mn != 0 || mx != 0 || sum != 0) bad("", "an empty histogram has min, max and sum 0");
    return h;
  }
  if (mn > mx || mx > max_value) bad("max", "min and max must satisfy min <= max <= 1 h");
  std::size_t lowest = bucket_count, highest = 0;  // first and last non-zero bucket
  h.for_each_bucket([&](std::size_t index, std::uint64_t) {
    lowest = std::min(lowest, index);
    highest = index;
  });
  if (bucket_index(mn) != lowest) bad("min", "is not in the lowest non-empty bucket");
  if (bucket_index(mx) != highest) bad("max", "is not in the highest non-empty bucket");
  if (sum < mul_saturating(mn, count) || sum > mul_saturating(mx, count))
    bad("sum", "is not between count*min and count*max");
  h.count_ = count;
  h.min_ = mn;
  h.max_ = mx;
  h.sum_ = sum;
  return h;
}

bool operator==(const histogram& a, const histogram& b) {
  if (a.count_ != b.count_ || a.min() != b.min() || a.max_ != b.max_ || a.sum_ != b.sum_)
    return false;
  for (std::size_t i = 0; i < histogram::bucket_count; ++i)
    if (a.bucket(i) != b.bucket(i)) return false;
  return true;
}

latency_summary latency_summary::of(const histogram& h) {
  latency_summary s;
  s.count = h.count();
  if (h.empty()) return s;
  s.min = ms(h.min());
  s.mean = std::round(h.mean()) / 1e6;  // to the nanosecond
  s.p50 = ms(h.percentile(50));
  s.p90 = ms(h.percentile(90));
  s.p95 = ms(h.percentile(95));
  s.p99 = ms(h.percentile(99));
  s.p999 = ms(h.percentile(99.9));
  s.max = ms(h.max());
  return s;
}

nlohmann::json latency_summary::to_json() const {
  return {{"count", count}, {"min", min}, {"mean", mean}, {"p50", p50}, {"p90", p90},
          {"p95", p95},     {"p99", p99}, {"p999", p999}, {"max", max}};
}

}  // namespace mh
