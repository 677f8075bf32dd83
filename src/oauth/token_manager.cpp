#include "oauth/token_manager.hpp"

#include <algorithm>
#include <ctime>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/redact.hpp"

namespace mh::oauth {
namespace {

std::int64_t system_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

}  // namespace

token_manager::token_manager(cache_key key, token_source source, refresh_policy policy,
                             token_cache* cache, unix_clock_fn clock)
    : key_(std::move(key)),
      source_(std::move(source)),
      policy_(policy),
      cache_(cache),
      clock_(clock ? std::move(clock) : unix_clock_fn(system_now)) {
  refresh_token_ = source_.initial_refresh_token;
}

token_manager::~token_manager() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::optional<acquire_result> token_manager::fresh_locked() {
  if (!current_) return std::nullopt;
  std::int64_t now = clock_();
  const entry& e = *current_;
  if (!token_usable(now, e.expires_at, e.refresh_at, e.margin)) return std::nullopt;
  return lease_locked(e.origin == "cache" ? "cache" : "memory", now);
}

acquire_result token_manager::lease_locked(const char* source, std::int64_t now) {
  const entry& e = *current_;
  std::int64_t remaining = e.expires_at - now;
  acquire_result r;
  if (remaining <= 0) {
    ++stats_.expired_handouts;  // only reachable if the endpoint issued a dead token
    r.ec = make_error_code(errc::bad_token_response);
    r.message = "the token endpoint issued a token with no lifetime left (" + e.fingerprint + ")";
    return r;
  }
  ++stats_.handed_out;
  stats_.min_remaining_s = std::min(stats_.min_remaining_s, remaining);
  if (std::string_view(source) == "memory") ++stats_.from_memory;
  if (std::string_view(source) == "cache") ++stats_.from_cache;
  bool reused = std::string_view(source) == "memory" || std::string_view(source) == "cache";
  r.token = lease{e.access_token, e.expires_at, e.fingerprint, source, e.scope,
                  refresh_token_.empty() ? std::string() : fingerprint(refresh_token_.reveal()),
                  reused ? 0 : e.attempts};
  return r;
}

void token_manager::load_cache_locked() {
  if (cache_checked_ || !cache_) return;
  cache_checked_ = true;
  std::optional<cache_entry> c;
  std::string why;
  if (auto ec = cache_->load(key_, c, &why)) {
    cache_error_.ec = ec;  // refused for good: never half-read, never overwritten
    cache_error_.message = why;
    return;
  }
  if (!c) return;
  if (refresh_token_.empty()) refresh_token_ = c->refresh_token;
  if (c->access_token.empty() || source_.force_request) return;
  entry e;
  e.access_token = c->access_token;
  e.expires_at = c->expires_at;
  e.refresh_at = c->refresh_at;
  e.scope = c->scope;
  e.margin = effective_margin(c->expires_at - c->obtained_at);
  e.fingerprint = fingerprint(c->access_token.reveal());
  e.origin = "cache";
  current_ = std::move(e);
}

refresh_policy token_manager::effective_margin(std::int64_t lifetime) const {
  // A margin larger than half the lifetime would refresh on every use; MSAL's refresh_in
  // convention (half the lifetime) caps it.
  refresh_policy p = policy_;
  if (lifetime > 0) p.margin = std::min(p.margin, std::chrono::seconds(lifetime / 2));
  return p;
}

acquire_result token_manager::acquire() {
  std::unique_lock l(mu_);
  ++stats_.acquires;
  load_cache_locked();
  if (cache_error_.ec) return cache_error_;
  if (auto r = fresh_locked()) return *r;
  if (in_flight_) {
    ++stats_.joined;
    std::uint64_t g = generation_;
    cv_.wait(l, [&] { return generation_ != g; });
    return result_for_waiter_locked();
  }
  in_flight_ = true;
  l.unlock();
  return finish_fetch(fetch(), true);
}

void token_manager::async_acquire(std::function<void(acquire_result)> done) {
  std::unique_lock l(mu_);
  ++stats_.acquires;
  load_cache_locked();
  if (cache_error_.ec) {
    auto r = cache_error_;
    l.unlock();
    done(std::move(r));
    return;
  }
  if (auto r = fresh_locked()) {
    l.unlock();
    done(std::move(*r));
    return;
  }
  waiting_.push_back(std::move(done));
  if (in_flight_) {
    ++stats_.joined;
    return;
  }
  in_flight_ = true;
  worker_wanted_ = true;
  if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
  l.unlock();
  cv_.notify_all();
}

void token_manager::worker_loop() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return worker_wanted_ || stopping_; });
    if (!worker_wanted_) return;  // stopping, nothing asked for
    worker_wanted_ = false;
    l.unlock();
    finish_fetch(fetch(), false);
    l.lock();
  }
}

acquire_result token_manager::fetch() {
  secret_string rt;
  {
    std::lock_guard l(mu_);
    rt = refresh_token_;
  }
  token_result tr;
  bool refreshed = false;
  std::int64_t sent_at = clock_();
  if (!rt.empty() && source_.redeem) {
    tr = source_.redeem(rt);
    refreshed = true;
    if (!tr.ok() && tr.aad && tr.aad->error == "invalid_grant" && source_.sign_in) {
      {
        std::lock_guard l(mu_);
        if (refresh_token_.reveal() == rt.reveal()) refresh_token_ = {};
        ++stats_.requests;
        ++stats_.refreshes;
        ++stats_.failures;
        stats_.http_attempts += static_cast<std::uint64_t>(tr.attempts);
      }
      rt = {};
      refreshed = false;
      sent_at = clock_();
      tr = source_.sign_in();
    }
  } else if (source_.sign_in) {
    tr = source_.sign_in();
  } else {
    acquire_result r;
    r.ec = make_error_code(errc::config_invalid);
    r.message = "no way to get a token: no refresh token is known and the credential has no sign-in flow";
    return r;
  }
  std::lock_guard l(mu_);
  ++stats_.requests;
  ++(refreshed ? stats_.refreshes : stats_.sign_ins);
  stats_.http_attempts += static_cast<std::uint64_t>(tr.attempts);
  acquire_result r;
  if (!tr.ok()) {
    ++stats_.failures;
    r.ec = tr.ec;
    r.message = tr.message;
    r.aad = tr.aad;
    return r;
  }
  const token_set& t = *tr.tokens;
  // Lifetimes count from the attempt that got the answer, not from the first of its retries
  // (a throttled request may have waited seconds before it).
  if (tr.sent_at > sent_at) sent_at = tr.sent_at;
  entry e;
  e.access_token = t.access_token;
  e.expires_at = sent_at + t.expires_in;  // measured from the request: errs on the early side
  if (t.refresh_in) e.refresh_at = sent_at + *t.refresh_in;
  e.margin = effective_margin(t.expires_in);
  e.scope = t.scope;
  e.attempts = tr.attempts;
  e.fingerprint = fingerprint(t.access_token.reveal());
  e.origin = refreshed ? "refreshed" : "token endpoint";
  if (!t.refresh_token.empty()) refresh_token_ = t.refresh_token;
  else if (refreshed && refresh_token_.empty()) refresh_token_ = rt;
  if (cache_) {
    cache_entry c{e.access_token, e.expires_at, e.refresh_at, refresh_token_, e.scope, sent_at};
    std::string why;
    if (auto ec = cache_->store(key_, c, &why)) r.message = "warning: not cached: " + why;
  }
  current_ = std::move(e);
  r.token = lease{};  // marks success; the lease itself is made under the lock in finish_fetch
  return r;
}

acquire_result token_manager::result_for_waiter_locked() {
  if (!last_.token) return last_;
  if (!current_) return last_;
  return lease_locked(current_->origin.c_str(), clock_());
}

acquire_result token_manager::finish_fetch(acquire_result r, bool for_caller) {
  std::vector<std::pair<std::function<void(acquire_result)>, acquire_result>> calls;
  acquire_result mine;
  {
    std::lock_guard l(mu_);
    last_ = r;
    last_.token.reset();
    if (r.token) last_.token = lease{};  // success marker for waiters, no secret kept here
    if (for_caller) {
      mine = result_for_waiter_locked();
      if (mine.ok() && !r.message.empty()) mine.message = r.message;
    }
    in_flight_ = false;
    ++generation_;
    while (!waiting_.empty()) {
      calls.emplace_back(std::move(waiting_.front()), result_for_waiter_locked());
      waiting_.pop_front();
    }
  }
  cv_.notify_all();
  for (auto& [fn, res] : calls) fn(std::move(res));
  return mine;
}

void token_manager::invalidate(const std::string& fp) {
  std::lock_guard l(mu_);
  ++stats_.invalidations;
  if (current_ && current_->fingerprint == fp) current_.reset();
}

manager_stats token_manager::stats() const {
  std::lock_guard l(mu_);
  return stats_;
}

}  // namespace mh::oauth
