// The loopback redirect listener of a native app (RFC 8252 §7.3, §8.3): a one-shot HTTP/1.1
// server on 127.0.0.1 that waits for the browser's GET to the redirect path and reads the
// authorization response from its query (RFC 6749 §4.1.2: code, state; §4.1.2.1: error,
// error_description, error_uri).
//
// Contract:
// - Binds 127.0.0.1 only (port 0: any free port). Runs a small io_context on the thread
//   that calls wait(); cancel() may be called from any thread, before or during wait().
// - Other paths (/favicon.ico), other methods, a foreign Host header (DNS rebinding) and a
//   request on the redirect path that carries no authorization response are answered
//   (404, 405, 400) and the listener keeps waiting. Requests are bounded: headers
//   `header_limit` bytes (431 beyond), `read_timeout` per connection, `max_connections` at
//   once; a stray client can delay nothing.
// - An authorization response ends the wait: a `state` that differs from the expected one
//   is refused (CSRF) and never yields a code; the browser gets a small HTML page in every
//   case ("you may close this window" or the error, HTML-escaped).
// - The code is a secret_string and never appears in messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/secret.hpp"

namespace mh::oauth {

struct loopback_options {
  std::uint16_t port = 0;                        // 0: any free port
  std::string path = "/";                        // the redirect URI's path
  std::chrono::milliseconds timeout{300'000};    // overall wait for the browser
  std::chrono::milliseconds read_timeout{10'000};  // per connection, for a request or a write
  std::size_t header_limit = 8 * 1024;           // request line + headers
  std::size_t max_connections = 16;              // more are closed at once
};

struct redirect_result {
  // Unset when a code arrived with the expected state. Otherwise:
  //   token_request_denied  the authorization server sent `error` (fields below)
  //   bad_token_response    state mismatch (CSRF), or a response without code/malformed
  //   timed_out             no response within `timeout`
  //   operation_canceled    cancel() (std::errc)
  //   internal              wait() without a state, called twice, or without listen()
  std::error_code ec;
  std::string message;  // one line for the user; never contains the code
  secret_string code;
  std::string error;              // RFC 6749 §4.1.2.1
  std::string error_description;
  std::string error_uri;
  bool ok() const { return !ec && !code.empty(); }
};

class loopback_redirect {
 public:
  explicit loopback_redirect(loopback_options o = {});
  ~loopback_redirect();
  loopback_redirect(const loopback_redirect&) = delete;
  loopback_redirect& operator=(const loopback_redirect&) = delete;

  // Binds 127.0.0.1:port and listens. errc::config_invalid (port in use, no permission)
  // with the reason in `why`.
  std::error_code listen(std::string* why = nullptr);
  // The bound port (0 before a successful listen(); kept after wait()).
  std::uint16_t port() const;
  // "http://<host>:<port><path>", the path left out when it is "/" (Entra compares it with
  // the registered "http://localhost" ignoring only the port).
  std::string redirect_uri(std::string_view host = "localhost") const;
  // Serves until an authorization response arrives, the timeout passes or cancel(). Once.
  // `expected_state` must not be empty.
  redirect_result wait(const std::string& expected_state);
  // Ends wait() with operation_canceled. Thread-safe.
  void cancel();

  struct state;  // implementation detail, shared with the connection coroutines

 private:
  std::unique_ptr<state> s_;
};

using query_params = std::vector<std::pair<std::string, std::string>>;
// Parses an application/x-www-form-urlencoded query ("a=b&c=d", '+' is a space). nullopt
// with the reason in `why` on bad percent-encoding, an empty name or a repeated name
// (RFC 6749 §3.1: parameters must not be included more than once).
std::optional<query_params> parse_query(std::string_view query, std::string* why = nullptr);
// `s` with & < > " ' replaced by entities.
std::string html_escape(std::string_view s);

}  // namespace mh::oauth
