#include "bench.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "core/error.hpp"
#include "session/token_await.hpp"

namespace mh::cli {
namespace {

using steady = std::chrono::steady_clock;

std::int64_t process_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One client thread: its io_context and its own statistics (merged after the run).
struct client_thread {
  const bench_plan* plan = nullptr;
  net::io_context io{1};
  net::thread_pool* minters = nullptr;
  steady::time_point t0, warm_end, end;
  // Hot-path statistics, touched only by this thread.
  std::array<histogram, phase_count> phase;
  histogram total, queue;
  std::vector<bench_second> timeline;
  error_tally errors;
  std::uint64_t attempts = 0, late_starts = 0, resumed = 0, minted = 0;
  std::vector<std::string> first_failure;
  // Read by the progress reporter.
  std::atomic<std::uint64_t> ok{0}, failed{0}, inflight{0};
  std::unique_ptr<net::steady_timer> slot_free;  // open model: signalled when a login ends

  bool stopped() const { return plan->stop && plan->stop->load(std::memory_order_relaxed); }
};

// A counted operation ended: its latency from the intended start, in the total and in the
// timeline second it ended in.
void count_completion(client_thread* c, steady::time_point intended, steady::time_point done, bool ok) {
  c->total.record(done - intended);
  auto second = static_cast<std::size_t>(std::max<steady::duration>(done - c->warm_end, {}) / std::chrono::seconds(1));
  if (second >= c->timeline.size()) c->timeline.resize(second + 1);
  auto& s = c->timeline[second];
  s.total.record(done - intended);
  ++(ok ? s.ok : s.failed);
  (ok ? c->ok : c->failed).fetch_add(1, std::memory_order_relaxed);
}

net::awaitable<oauth::token_result> mint_once(const std::function<oauth::token_result()>* mint) {
  co_return (*mint)();
}

// The token for one login, as the plan says; nullopt and a counted error when there is none.
net::awaitable<std::optional<oauth::lease>> token_for_login(client_thread* c, bool counted) {
  const bench_plan& p = *c->plan;
  std::error_code ec;
  std::string message, reply;
  if (p.token == bench_token::per_login && p.mint) {
    if (counted) ++c->minted;
    auto tr = co_await net::co_spawn(c->minters->get_executor(), mint_once(&p.mint), net::use_awaitable);
    if (tr.ok()) {
      oauth::lease l;
      l.token = std::move(tr.tokens->access_token);
      co_return l;
    }
    ec = tr.ec;
    message = tr.message;
    if (tr.aad) reply = tr.aad->summary();
  } else if (p.manager) {
    auto ar = co_await await_token(*p.manager);
    if (ar.ok()) co_return std::move(ar.token);
    ec = ar.ec;
    message = ar.message;
    if (ar.aad) reply = ar.aad->summary();
  } else {
    oauth::lease l;
    l.token = p.static_token;
    co_return l;
  }
  if (counted) {
    c->failed.fetch_add(1, std::memory_order_relaxed);
    c->errors.add(ec, "token", reply, message);
  }
  co_return std::nullopt;
}

net::awaitable<void> one_login(client_thread* c, steady::time_point intended) {
  const bench_plan& p = *c->plan;
  auto started = steady::now();
  bool counted = intended >= c->warm_end;
  if (counted) {
    ++c->attempts;
    if (p.model == bench_model::open) {
      c->queue.record(started - intended);
      if (started - intended > std::chrono::milliseconds(1)) ++c->late_starts;
    }
  }
  auto token = co_await token_for_login(c, counted);
  auto got_token = steady::now();
  if (!token) co_return;
  if (p.token_only) {  // the token request is the whole operation
    if (!counted) co_return;
    c->phase[static_cast<std::size_t>(phase::token)].record(got_token - started);
    count_completion(c, intended, got_token, true);
    co_return;
  }
  login_options o = p.base;
  o.client.creds.token = std::move(token->token);
  login_result r = co_await login(std::move(o), p.tls);
  auto done = steady::now();
  if (!r.pass && r.outcome.reply.find("AccessTokenExpired") != std::string::npos && p.manager)
    p.manager->invalidate(token->fingerprint);  // Exchange ended the session: get a new token
  if (!counted) co_return;
  if (p.manager || p.token == bench_token::per_login)
    c->phase[static_cast<std::size_t>(phase::token)].record(got_token - started);
  for (const auto& sp : r.phases) c->phase[static_cast<std::size_t>(sp.ph)].record(sp.duration);
  if (r.tls.resumed) ++c->resumed;
  count_completion(c, intended, done, r.pass);
  if (r.pass) co_return;
  const auto& oc = r.outcome;
  c->errors.add(oc.error, phase_name(oc.failed_phase), oc.reply, oc.message);
  if (c->first_failure.empty()) c->first_failure = transcript_text(r.transcript);
}

net::awaitable<void> closed_worker(client_thread* c) {
  for (;;) {
    auto start = steady::now();
    if (start >= c->end || c->stopped()) break;
    co_await one_login(c, start);
  }
}

net::awaitable<void> open_login(client_thread* c, steady::time_point intended) {
  co_await one_login(c, intended);
  c->inflight.fetch_sub(1, std::memory_order_relaxed);
  c->slot_free->cancel_one();
}

// Arrivals of this thread: every `threads`-th arrival of the plan's schedule, from `first`.
net::awaitable<void> open_dispatcher(client_thread* c, std::uint64_t first, std::uint64_t step) {
  const bench_plan& p = *c->plan;
  auto ex = co_await net::this_coro::executor;
  net::steady_timer timer(ex);
  for (std::uint64_t i = first;; i += step) {
    auto at = c->t0 + std::chrono::duration_cast<steady::duration>(
                          std::chrono::duration<double>(arrival_time(i, p.rate, p.ramp_s)));
    if (at >= c->end || c->stopped()) break;
    if (at > steady::now()) {
      timer.expires_at(at);
      co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    while (c->inflight.load(std::memory_order_relaxed) >= static_cast<std::uint64_t>(p.max_inflight)) {
      c->slot_free->expires_at(steady::time_point::max());
      co_await c->slot_free->async_wait(net::as_tuple(net::use_awaitable));
    }
    c->inflight.fetch_add(1, std::memory_order_relaxed);
    net::co_spawn(ex, open_login(c, at), net::detached);
  }
}

void merge_into(bench_result& out, client_thread& c) {
  for (std::size_t i = 0; i < phase_count; ++i)
    if (!c.phase[i].empty()) out.phases[std::string(phase_names[i])].merge(c.phase[i]);
  if (!c.total.empty()) out.phases["total"].merge(c.total);
  if (!c.queue.empty()) out.phases["queue"].merge(c.queue);
  if (out.timeline.size() < c.timeline.size()) out.timeline.resize(c.timeline.size());
  for (std::size_t i = 0; i < c.timeline.size(); ++i) {
    out.timeline[i].ok += c.timeline[i].ok;
    out.timeline[i].failed += c.timeline[i].failed;
    out.timeline[i].total.merge(c.timeline[i].total);
  }
  out.errors.merge(c.errors);
  out.attempts += c.attempts;
  out.ok += c.ok.load();
  out.failed += c.failed.load();
  out.late_starts += c.late_starts;
  out.resumed += c.resumed;
  out.token_requests += c.minted;
  if (out.first_failure_transcript.empty()) out.first_failure_transcript = std::move(c.first_failure);
}

}  // namespace

double arrival_time(std::uint64_t i, double rate, double ramp_s) {
  double n = static_cast<double>(i);
  if (ramp_s <= 0) return n / rate;
  // Arrivals by time t during the ramp: rate·t²/(2·ramp); after it: rate·ramp/2 + rate·(t − ramp).
  double during_ramp = rate * ramp_s / 2;
  if (n < during_ramp) return std::sqrt(2 * ramp_s * n / rate);
  return ramp_s + (n - during_ramp) / rate;
}

bench_result run_bench(const bench_plan& p) {
  if (p.threads < 1) throw std::runtime_error("bench: at least one client thread is needed");
  if (p.model == bench_model::closed && p.concurrency < 1) throw std::runtime_error("bench: concurrency must be >= 1");
  if (p.model == bench_model::open && !(p.rate > 0)) throw std::runtime_error("bench: the rate must be > 0");
  std::size_t minter_count = p.token == bench_token::per_login
                                 ? static_cast<std::size_t>(std::clamp(p.model == bench_model::closed ? p.concurrency : 8, 1, 8))
                                 : 1;
  net::thread_pool minters(minter_count);

  std::vector<std::unique_ptr<client_thread>> cs;
  auto t0 = steady::now();
  for (int t = 0; t < p.threads; ++t) {
    auto c = std::make_unique<client_thread>();
    c->plan = &p;
    c->minters = &minters;
    c->t0 = t0;
    c->warm_end = t0 + p.warmup;
    c->end = c->warm_end + p.duration;
    c->slot_free = std::make_unique<net::steady_timer>(c->io);
    if (p.model == bench_model::closed) {
      int workers = p.concurrency / p.threads + (t < p.concurrency % p.threads ? 1 : 0);
      for (int w = 0; w < workers; ++w) net::co_spawn(c->io, closed_worker(c.get()), net::detached);
    } else {
      net::co_spawn(c->io, open_dispatcher(c.get(), static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(p.threads)),
                    net::detached);
    }
    cs.push_back(std::move(c));
  }
  std::vector<std::thread> threads;
  for (auto& c : cs)
    threads.emplace_back([io = &c->io] {
      pthread_setname_np(pthread_self(), "mh-bench");  // for top -H and perf
      io->run();
    });

  auto warm_end = t0 + p.warmup, end = warm_end + p.duration;
  std::int64_t cpu0 = 0, server0 = 0, embedded0 = 0;
  std::uint64_t requests0 = 0;
  bool sampled = false;
  auto sample_start = [&] {
    cpu0 = process_cpu_ns();
    if (p.server_cpu_ns) server0 = p.server_cpu_ns();
    if (p.embedded_server_cpu_ns) embedded0 = p.embedded_server_cpu_ns();
    if (p.manager) requests0 = p.manager->stats().requests;
    sampled = true;
  };
  std::uint64_t last_counted = 0;
  auto last_tick = t0;
  auto stopped_at = end;
  for (auto next = t0 + std::chrono::seconds(1);; next += std::chrono::seconds(1)) {
    auto wake = std::min({next, end, sampled ? next : warm_end});
    std::this_thread::sleep_until(wake);
    auto now = steady::now();
    if (!sampled && now >= warm_end) sample_start();
    bool stop = p.stop && p.stop->load();
    if (stop && stopped_at == end) stopped_at = std::min(now, end);
    if (p.on_progress && now >= next) {
      bench_progress pr;
      pr.elapsed_s = std::chrono::duration<double>(now - t0).count();
      pr.warming_up = now < warm_end;
      for (auto& c : cs) {
        pr.ok += c->ok.load(std::memory_order_relaxed);
        pr.failed += c->failed.load(std::memory_order_relaxed);
        pr.inflight += c->inflight.load(std::memory_order_relaxed);
      }
      double dt = std::chrono::duration<double>(now - last_tick).count();
      pr.rate = dt > 0 ? static_cast<double>(pr.ok + pr.failed - last_counted) / dt : 0;
      last_counted = pr.ok + pr.failed;
      last_tick = now;
      p.on_progress(pr);
    }
    if (now >= end || stop) break;
  }
  for (auto& t : threads) t.join();
  if (!sampled) sample_start();

  bench_result out;
  out.client_cpu_ns = process_cpu_ns() - cpu0;
  if (p.embedded_server_cpu_ns) out.client_cpu_ns -= p.embedded_server_cpu_ns() - embedded0;
  if (p.server_cpu_ns) out.server_cpu_ns = p.server_cpu_ns() - server0;
  out.interrupted = p.stop && p.stop->load();
  out.window_s = std::max(0.0, std::chrono::duration<double>(stopped_at - warm_end).count());
  for (auto& c : cs) merge_into(out, *c);
  if (p.manager) out.token_requests += p.manager->stats().requests - requests0;
  return out;
}

}  // namespace mh::cli
