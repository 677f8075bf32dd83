// The load engine of `mailharness bench` (DESIGN §6, issue 7): many logins against one server,
// in a closed model (N workers, each login -> logout -> next) or an open model (arrivals at a
// fixed rate, optionally ramped), on one or more client threads.
//
// Contract:
// - Every login starting before the warm-up ends is run but not counted. The measured window
//   is [warm-up end, warm-up end + duration); logins that start in it are counted, including
//   the ones that finish after it (no login is cut short).
// - Open model: a login's latency ("total") is measured from its intended start, so a server
//   that falls behind shows its queueing instead of hiding it (coordinated omission). The
//   delay between intended and actual start is the "queue" phase; at most max_inflight logins
//   run at once, later arrivals wait (and their wait counts).
// - Statistics are per client thread and merged at the end (histograms merge exactly), so the
//   hot path takes no lock.
// - CPU: client = the process's CPU over the window minus the embedded server's; server = the
//   `server_cpu_ns` sampler (embedded fake thread, or a PID's /proc figures), when given.
// - `stop` (SIGINT) ends the run early: in-flight logins finish, the result says interrupted.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/secret.hpp"
#include "error_tally.hpp"
#include "metrics/histogram.hpp"
#include "oauth/token_manager.hpp"
#include "session/login.hpp"

namespace mh::cli {

enum class bench_model { closed, open };
enum class bench_token { cached, per_login };

struct bench_plan {
  login_options base;                         // protocol, server, TLS, user, mechanism, probe
  std::shared_ptr<ssl::context> tls;          // shared client context (resumption set on it)
  bench_model model = bench_model::closed;
  int concurrency = 16;                       // closed: this shard's workers
  double rate = 0;                            // open: this shard's arrivals per second
  double ramp_s = 0;                          // open: rate rises linearly from 0 over ramp_s
  int max_inflight = 10000;                   // open: logins running at once
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds duration{10000};
  int threads = 1;                            // client threads
  bench_token token = bench_token::cached;
  bool token_only = false;                    // benchmark the token endpoint: no mail login
  oauth::token_manager* manager = nullptr;    // cached: hands out the shared token
  std::function<oauth::token_result()> mint;  // per_login: one token request (blocking)
  secret_string static_token;                 // used when there is no manager
  std::function<std::int64_t()> server_cpu_ns;  // empty: unknown
  std::function<std::int64_t()> embedded_server_cpu_ns;  // subtracted from the process's CPU
  const std::atomic<bool>* stop = nullptr;
  // Called about once a second on the calling thread while the run goes on.
  std::function<void(const struct bench_progress&)> on_progress;
};

struct bench_progress {
  double elapsed_s = 0;       // since the start (warm-up included)
  bool warming_up = true;
  std::uint64_t ok = 0, failed = 0;  // counted logins so far
  double rate = 0;            // counted logins per second over the last interval
  std::uint64_t inflight = 0;
};

struct bench_second {
  std::uint64_t ok = 0, failed = 0;
  histogram total;            // latency of the logins that completed in this second
};

struct bench_result {
  std::map<std::string, histogram> phases;  // "total", "queue", "token", and the login phases
  std::vector<bench_second> timeline;       // one entry per second of the window
  error_tally errors;                        // grouped by class, code, phase and reply
  std::uint64_t attempts = 0, ok = 0, failed = 0, late_starts = 0, resumed = 0;
  std::uint64_t token_requests = 0;         // requests made by the token source in the window
  std::int64_t client_cpu_ns = 0;
  std::optional<std::int64_t> server_cpu_ns;
  double window_s = 0;                      // measured window, wall time
  bool interrupted = false;
  std::vector<std::string> first_failure_transcript;  // redacted
};

// Runs the benchmark on the calling thread plus `threads` client threads. Never throws for a
// failed login (those are counted); throws std::runtime_error for a plan it cannot run.
bench_result run_bench(const bench_plan& plan);

// The intended start of arrival `i` (0-based) in seconds after the start of an open-model
// run with `rate` arrivals per second reached after a linear ramp of `ramp_s` seconds.
double arrival_time(std::uint64_t i, double rate, double ramp_s);

}  // namespace mh::cli
