// One credential's access tokens over time (DESIGN §6): hands out a token that the refresh
// policy still allows, refreshes it before the margin with the stored (rotated) refresh token
// or by signing in again, and makes concurrent callers share one token request (single
// flight). It keeps the figures a refresh-correctness run reports.
//
// Contract:
// - Thread-safe. acquire() blocks; async_acquire() never blocks the caller: when a request is
//   needed it runs on the manager's own worker thread and `done` is called there (or inline,
//   on the caller's thread, when the current token is fresh).
// - At most one token request per manager at any time; callers arriving while one is in
//   flight wait for its result (counted as `joined`).
// - A token is handed out only while token_usable() allows it (more than the margin left,
//   not past refresh_in; the margin is capped at half the token's lifetime, MSAL's
//   refresh_in convention, so short-lived tokens are not refreshed on every use); a token with no lifetime left is never handed out (the
//   `expired_handouts` counter exists to prove it stays zero).
// - Refresh tokens: the newest one is always used and stored (rotation); when the server
//   sends none, the one that worked is kept. A refresh token the server refuses
//   (invalid_grant) is dropped and, if the credential can sign in again, it does.
// - With a cache, every new token is written to it (0600, atomic, locked) and a fresh cached
//   token is used before any request. An unusable cache file (corrupt, foreign) fails every
//   call with cache_unusable naming the file: it is never half-read or overwritten.
// - Failures are values (ec, message, AADSTS details) and are not cached: the next call
//   tries again; http_client has already retried 429/5xx honouring Retry-After.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "oauth/http_client.hpp"
#include "oauth/refresh_policy.hpp"
#include "oauth/token_cache.hpp"
#include "oauth/token_response.hpp"

namespace mh::oauth {

// How to get tokens for the credential. `sign_in` obtains a token without a refresh token
// (client credentials, password, device code, auth code); it may be empty when only a
// refresh token is available. `redeem` redeems a refresh token; empty for app-only.
struct token_source {
  std::function<token_result()> sign_in;
  std::function<token_result(const secret_string& refresh_token)> redeem;
  secret_string initial_refresh_token;  // e.g. from --refresh-token-file
  // The first acquire makes a request even if the cache holds a usable token, and the
  // initial refresh token wins over a cached one (an explicit --refresh-token-file).
  bool force_request = false;
};

struct lease {
  secret_string token;
  std::int64_t expires_at = 0;   // unix seconds
  std::string fingerprint;       // sha256:… of the token
  std::string source;            // "memory", "cache", "token endpoint", "refreshed"
  std::string scope;             // as granted
  std::string refresh_fingerprint;  // of the newest refresh token; empty if none
  int attempts = 0;              // HTTP attempts of the request that produced it (0: reused)
};

struct acquire_result {
  std::optional<lease> token;
  std::error_code ec;
  std::string message;           // never contains a secret
  std::optional<aad_error> aad;
  bool ok() const { return token.has_value(); }
};

struct manager_stats {
  std::uint64_t acquires = 0;          // calls
  std::uint64_t handed_out = 0;        // successful calls
  std::uint64_t from_memory = 0;       // served by the current token
  std::uint64_t from_cache = 0;        // served by the cache file
  std::uint64_t joined = 0;            // waited for a request already in flight
  std::uint64_t requests = 0;          // token requests made (sign-ins + refreshes)
  std::uint64_t refreshes = 0;         // of which refresh-token grants
  std::uint64_t sign_ins = 0;          // of which other grants
  std::uint64_t http_attempts = 0;     // HTTP attempts, retries included
  std::uint64_t failures = 0;          // requests that gave no token
  std::uint64_t invalidations = 0;     // tokens the caller reported as rejected/expired
  std::uint64_t expired_handouts = 0;  // tokens handed out with no lifetime left (must be 0)
  std::int64_t min_remaining_s = std::numeric_limits<std::int64_t>::max();  // at hand-out
};

class token_manager {
 public:
  // `cache` may be null; it and `key` identify the credential in the cache file. `clock`
  // defaults to the system clock.
  token_manager(cache_key key, token_source source, refresh_policy policy,
                token_cache* cache = nullptr, unix_clock_fn clock = {});
  ~token_manager();
  token_manager(const token_manager&) = delete;
  token_manager& operator=(const token_manager&) = delete;

  acquire_result acquire();
  void async_acquire(std::function<void(acquire_result)> done);

  // The server refused or expired the token with this fingerprint (e.g. `* BYE Session
  // invalidated - AccessTokenExpired`): if it is still the current token, the next call
  // gets a new one.
  void invalidate(const std::string& fingerprint);

  manager_stats stats() const;
  const cache_key& key() const { return key_; }

 private:
  struct entry {
    secret_string access_token;
    std::int64_t expires_at = 0;
    std::optional<std::int64_t> refresh_at;
    secret_string refresh_token;
    std::string scope;
    std::string fingerprint;
    int attempts = 0;
    refresh_policy margin;       // the policy's margin, capped at half this token's lifetime
    std::string origin;          // lease source while it is current
  };
  // With mu_ held: a lease from the current entry if the policy allows it.
  std::optional<acquire_result> fresh_locked();
  acquire_result lease_locked(const char* source, std::int64_t now);
  acquire_result result_for_waiter_locked();
  void load_cache_locked();
  refresh_policy effective_margin(std::int64_t lifetime) const;
  acquire_result fetch();  // one token request, without mu_
  // Publishes a request's result and serves the waiters; returns the fetching caller's
  // result when `for_caller` (the worker thread has no caller of its own).
  acquire_result finish_fetch(acquire_result r, bool for_caller);
  void worker_loop();

  cache_key key_;
  token_source source_;
  refresh_policy policy_;
  token_cache* cache_;
  unix_clock_fn clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<entry> current_;
  secret_string refresh_token_;      // newest refresh token known
  bool cache_checked_ = false;
  acquire_result cache_error_;       // the cache file is unusable: every call fails with this
  bool in_flight_ = false;
  std::uint64_t generation_ = 0;     // bumped when a request finishes
  acquire_result last_;              // result of the last request, for joined waiters
  std::deque<std::function<void(acquire_result)>> waiting_;  // async callers
  manager_stats stats_;
  bool stopping_ = false;
  bool worker_wanted_ = false;
  std::thread worker_;
};

}  // namespace mh::oauth
