// Micro-benchmarks of the latency histogram: record, merge, percentile, JSON. Numbers only;
// never run as tests (DESIGN §6).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "metrics/histogram.hpp"

namespace {

std::vector<std::int64_t> latencies(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(std::log(1e6), 0.8);  // around 1 ms
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(d(rng));
  return v;
}

mh::histogram filled(std::size_t n, std::uint64_t seed) {
  mh::histogram h;
  for (auto v : latencies(n, seed)) h.record(v);
  return h;
}

void BM_HistogramRecord(benchmark::State& state) {
  auto values = latencies(4096, 1);
  mh::histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

void BM_HistogramMerge(benchmark::State& state) {
  mh::histogram a = filled(100000, 2), b = filled(100000, 3);
  for (auto _ : state) {
    mh::histogram c = a;
    c.merge(b);
    benchmark::DoNotOptimize(c.count());
  }
}
BENCHMARK(BM_HistogramMerge);

void BM_HistogramSummary(benchmark::State& state) {
  mh::histogram h = filled(100000, 4);
  for (auto _ : state) benchmark::DoNotOptimize(mh::latency_summary::of(h).p99);
}
BENCHMARK(BM_HistogramSummary);

void BM_HistogramJsonRoundTrip(benchmark::State& state) {
  mh::histogram h = filled(100000, 5);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = h.to_json().dump();
    bytes = text.size();
    benchmark::DoNotOptimize(mh::histogram::from_json(nlohmann::json::parse(text)).count());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_HistogramJsonRoundTrip);

}  // namespace
