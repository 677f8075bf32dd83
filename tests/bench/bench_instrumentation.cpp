// The CPU cost of our timing instrumentation for one IMAP login (DESIGN §6 goal: under 1 %
// of a login's CPU cost): a phase_timer through the login's phases (resolve and connect
// recorded as measured spans, then tls, greeting, capability, auth, capability3, probe,
// logout entered in turn, then finished) and the per-phase and total histograms the
// runner keeps (harness/runner.cpp: std::map<std::string, histogram> keyed by phase name).
// One iteration = one login's instrumentation. Numbers only; never run as tests.
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <map>
#include <string>

#include "metrics/histogram.hpp"
#include "metrics/phase_timer.hpp"

namespace {

using namespace mh;
using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::array<phase, 7> entered = {phase::tls,         phase::greeting, phase::capability,
                                          phase::auth,        phase::capability3, phase::probe,
                                          phase::logout};

// The timer of one login, as session/login.cpp and the driver run it.
phase_timer timed_login() {
  phase_timer timer;
  timer.add(phase::resolve, 0ns, 40us, true);
  timer.add(phase::connect, 40us, 150us, true);
  for (phase p : entered) timer.enter(p);
  timer.finish(true);
  return timer;
}

// phase_timer alone: the clock reads and the spans vector.
void BM_InstrumentTimerOnly(benchmark::State& state) {
  for (auto _ : state) {
    auto timer = timed_login();
    benchmark::DoNotOptimize(timer.spans().data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InstrumentTimerOnly);

// What the runner does per login: the timer, the total, and every span into the
// histogram named after its phase.
void BM_InstrumentLogin(benchmark::State& state) {
  std::map<std::string, histogram> phases;
  for (auto _ : state) {
    auto started = steady::now();
    auto timer = timed_login();
    phases["total"].record(steady::now() - started);
    for (const auto& sp : timer.spans()) phases[std::string(phase_name(sp.ph))].record(sp.duration);
  }
  benchmark::DoNotOptimize(phases["total"].count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InstrumentLogin);

// The same with histograms indexed by phase instead of looked up by name (what the map
// lookups cost).
void BM_InstrumentLoginIndexed(benchmark::State& state) {
  std::array<histogram, phase_count> per_phase;
  histogram total;
  for (auto _ : state) {
    auto started = steady::now();
    auto timer = timed_login();
    total.record(steady::now() - started);
    for (const auto& sp : timer.spans())
      per_phase[static_cast<std::size_t>(sp.ph)].record(sp.duration);
  }
  benchmark::DoNotOptimize(total.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InstrumentLoginIndexed);

}  // namespace
