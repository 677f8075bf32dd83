// HTTP for the token providers: POST application/x-www-form-urlencoded and GET through the
// libcurl easy interface (synchronous; the CLI and providers are not coroutines).
//
// Contract:
// - TLS verification is on unless `insecure` is set explicitly; `ca_file` replaces the
//   system trust store. Connect and total timeouts always apply.
// - A response body larger than `max_body` is an error (errc::response_too_large); the body
//   is never read unbounded.
// - Retries: 429, 500, 502, 503, 504 and transport failures (resolve, connect, timeout,
//   connection lost) are retried with exponential backoff and jitter, honouring Retry-After
//   (delta seconds or HTTP-date) up to `max_retry_after`. Any other status (2xx, 4xx) is
//   returned at once, never retried. Sleep, clock and jitter are injectable for tests.
// - Errors name the method, the URL without its query and the phase; request bodies
//   (which carry secrets) never appear in errors.
#pragma once

#include "core/text.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace mh::oauth {

using form_fields = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded encoding (RFC 3986 unreserved kept, space as %20).
std::string form_encode(const form_fields& fields);
using ::mh::url_encode;  // core/text.hpp
// `url` without "?query" and "#fragment": safe to print.
std::string url_for_display(std::string_view url);

struct http_request {
  std::string method;  // "GET" or "POST"
  std::string url;
  std::string body;    // form body for POST
  std::vector<std::string> headers;  // "Name: value"
};

struct http_response {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string date;
  std::string retry_after;
};

struct http_outcome {
  std::error_code ec;   // transport failure (no HTTP status) when set
  std::string error;    // "POST https://host/path: connect: <reason>"
  http_response response;
  int attempts = 0;
  std::int64_t sent_at = 0;  // unix seconds when the final attempt began (clock())
};

struct http_options {
  std::string ca_file;        // empty: system trust store
  bool insecure = false;      // disables certificate and host-name verification
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_body = 1 << 20;
  std::string user_agent = "mailharness/0.1";
  // Keep the connection open for the next request from the same thread (HTTP keep-alive, as
  // MSAL's session does). Off: a new connection (TCP + TLS handshake) per request.
  bool keep_alive = false;
};

struct retry_policy {
  int max_attempts = 4;
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{8'000};
  std::chrono::milliseconds max_retry_after{60'000};
  double jitter = 0.25;  // +-25 % on computed backoff (not on Retry-After)
};

using sleep_fn = std::function<void(std::chrono::milliseconds)>;
using unix_clock_fn = std::function<std::int64_t()>;  // seconds since the epoch
using transport_fn = std::function<http_outcome(const http_request&)>;

// Whether this outcome is worth another attempt.
bool retryable(const http_outcome& o);
// Retry-After as a delay: delta-seconds, or an HTTP-date relative to `now`; nullopt if absent
// or unparsable. Dates in the past give 0.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now);
// The delay before attempt `attempt + 1` (attempt counts from 1); `rnd` in [0, 1).
std::chrono::milliseconds backoff_delay(const http_outcome& o, int attempt, const retry_policy& p,
                                        std::int64_t now, double rnd);

class http_client {
 public:
  // `transport` empty: libcurl with `o`. Tests inject a scripted transport.
  explicit http_client(http_options o = {}, transport_fn transport = {});
  http_client(const http_client&) = delete;  // the default transport refers to this
  http_client& operator=(const http_client&) = delete;

  http_outcome post_form(const std::string& url, const form_fields& fields,
                         std::vector<std::string> headers = {});
  http_outcome get(const std::string& url);
  http_outcome perform(const http_request& r);  // with retries

  retry_policy retry;
  sleep_fn sleep;            // default: std::this_thread::sleep_for
  unix_clock_fn clock;       // default: system clock
  std::function<double()> random;  // default: a PRNG in [0, 1)
  const http_options& options() const { return o_; }

 private:
  http_options o_;
  transport_fn transport_;
};

// One libcurl request, no retries.
http_outcome curl_perform(const http_request& r, const http_options& o);

}  // namespace mh::oauth
