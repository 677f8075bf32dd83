#include "oauth/loopback_redirect.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <unordered_map>

#include "core/error.hpp"
#include "core/text.hpp"
#include "net/asio.hpp"

namespace mh::oauth {

namespace beast = boost::beast;
namespace http = boost::beast::http;

struct loopback_redirect::state {
  explicit state(loopback_options opt) : o(std::move(opt)), acceptor(io), deadline(io) {}

  // Ends the wait with `r` (the first outcome wins): no new connections, every open one
  // closed, the deadline stopped. io.run() then returns once the coroutines have unwound.
  void finish(redirect_result r) {
    if (done) return;
    done = true;
    result = std::move(r);
    boost::system::error_code ec;
    acceptor.close(ec);
    deadline.cancel();
    for (auto& [id, stream] : live) stream->close();
  }

  loopback_options o;
  net::io_context io;  // first: constructed before and destroyed after what runs on it
  tcp::acceptor acceptor;
  net::steady_timer deadline;
  std::uint16_t port = 0;  // kept after the wait closes the acceptor
  std::string expected_state;
  bool waited = false;
  bool done = false;
  redirect_result result;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, beast::tcp_stream*> live;
};

namespace {

using state = loopback_redirect::state;
using request = http::request<http::empty_body>;
using response = http::response<http::string_body>;

constexpr std::size_t drain_limit = 64 * 1024;

// Keeps the set of open connections current however a coroutine ends.
struct registration {
  registration(state& s, beast::tcp_stream* t) : s_(s), id_(s.next_id++) { s_.live.emplace(id_, t); }
  ~registration() { s_.live.erase(id_); }
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;
  state& s_;
  std::uint64_t id_;
};

redirect_result failure(std::error_code ec, std::string message) {
  redirect_result r;
  r.ec = ec;
  r.message = std::move(message);
  return r;
}

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

response page(int status, std::string_view title, std::string_view text) {
  response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "text/html; charset=utf-8");
  res.set(http::field::cache_control, "no-store");
  res.set("Content-Security-Policy", "default-src 'none'");
  res.set("Referrer-Policy", "no-referrer");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(false);
  res.body() = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mailharness: " + html_escape(title) +
               "</title></head>\n<body><h1>" + html_escape(title) + "</h1>\n<p>" + html_escape(text) +
               "</p></body></html>\n";
  res.prepare_payload();
  return res;
}

// The first line of an error_description (Entra appends "\r\nTrace ID: …").
std::string first_line(const std::string& s) { return s.substr(0, s.find_first_of("\r\n")); }

// A Host header naming the loopback interface (any port), or none (HTTP/1.0). Anything else
// is a page reached through a foreign name (DNS rebinding): refused.
bool loopback_host(std::string_view host) {
  std::string h = ascii_lower(host);
  if (h.empty()) return true;
  if (h.starts_with("[")) {
    auto close = h.find(']');
    return close != std::string::npos && h.substr(0, close + 1) == "[::1]" &&
           (close + 1 == h.size() || h[close + 1] == ':');
  }
  h = h.substr(0, h.find(':'));
  return h == "localhost" || h == "127.0.0.1";
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct decision {
  response res;
  std::optional<redirect_result> outcome;  // set: the wait ends with it
};

// What to answer to one complete request, and whether it ends the wait.
decision route(const state& s, const request& req) {
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view query = path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view();
  auto host = req[http::field::host];
  if (!loopback_host(std::string_view(host.data(), host.size())))
    return {page(400, "Bad request", "This listener only answers requests for localhost."), std::nullopt};
  if (path != s.o.path) return {page(404, "Not found", "Nothing here."), std::nullopt};
  if (req.method() != http::verb::get) {
    decision d{page(405, "Method not allowed", "The sign-in response arrives with GET."), std::nullopt};
    d.res.set(http::field::allow, "GET");
    return d;
  }
  std::string why;
  auto q = parse_query(query, &why);
  auto has = [&](std::string_view name) {
    return q && std::any_of(q->begin(), q->end(), [&](const auto& kv) { return kv.first == name; });
  };
  auto value = [&](std::string_view name) {
    for (const auto& [k, v] : *q)
      if (k == name) return v;
    return std::string();
  };
  // Any of the response's parameters makes this the authorization response (judged from the
  // raw query when it cannot be parsed).
  bool response_like = q ? has("code") || has("state") || has("error")
                         : query.find("code=") != std::string_view::npos ||
                               query.find("state=") != std::string_view::npos ||
                               query.find("error=") != std::string_view::npos;
  if (!response_like)
    return {page(400, "Waiting for the sign-in", "This address receives the sign-in response; this request carries none."),
            std::nullopt};
  if (!q)
    return {page(400, "Sign-in failed", "The sign-in response is malformed."),
            failure(errc::bad_token_response, "malformed authorization response on the loopback redirect: " + why)};
  if (!has("state") || !same_secret(value("state"), s.expected_state))
    return {page(400, "Sign-in response refused", "The response does not belong to this sign-in (state mismatch)."),
            failure(errc::bad_token_response,
                    std::string("authorization response refused: its state ") +
                        (has("state") ? "does not match" : "is missing, unlike") +
                        " the request's (possible cross-site request forgery)")};
  if (has("error")) {
    redirect_result r;
    r.ec = errc::token_request_denied;
    r.error = value("error");
    r.error_description = value("error_description");
    r.error_uri = value("error_uri");
    std::string text = r.error + (r.error_description.empty() ? "" : ": " + first_line(r.error_description));
    r.message = "the authorization server answered error=" + text;
    return {page(200, "Sign-in failed", text + " You may close this window."), std::move(r)};
  }
  std::string code = value("code");
  if (code.empty())
    return {page(400, "Sign-in failed", "The sign-in response carries no code."),
            failure(errc::bad_token_response, "authorization response without code or error")};
  redirect_result r;
  r.code = secret_string(std::move(code));
  return {page(200, "Sign-in complete", "You may close this window and return to mailharness."), std::move(r)};
}

// Half-closes, then reads what the client still sends (bounded) so that closing does not
// reset the connection before the client has read the answer.
net::awaitable<void> linger(beast::tcp_stream& stream, std::chrono::milliseconds timeout) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 4096> sink{};
  std::size_t total = 0;
  stream.expires_after(timeout);  // for the whole drain, not per read
  while (total < drain_limit) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(sink), net::as_tuple(net::use_awaitable));
    if (ec) break;
    total += n;
  }
}

net::awaitable<void> serve(state* s, tcp::socket sock) {
  beast::tcp_stream stream(std::move(sock));
  registration reg(*s, &stream);
  beast::flat_buffer buf(s->o.header_limit + 1024);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(s->o.header_limit));
  stream.expires_after(s->o.read_timeout);
  auto [ec, n] = co_await http::async_read(stream, buf, parser, net::as_tuple(net::use_awaitable));
  (void)n;
  if (s->done) co_return;
  decision d;
  if (ec) {
    // Timeouts, resets and clients that leave are dropped silently; a bad request is told why.
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::operation_aborted)
      co_return;
    bool too_big = ec == http::error::header_limit || ec == http::error::buffer_overflow;
    d.res = too_big ? page(431, "Request too large", "The request headers exceed the limit.")
                    : page(400, "Bad request", "The request could not be parsed.");
  } else {
    d = route(*s, parser.get());
  }
  stream.expires_after(s->o.read_timeout);
  auto [wec, wn] = co_await http::async_write(stream, d.res, net::as_tuple(net::use_awaitable));
  (void)wn;
  if (d.outcome) {
    // The browser has its page (or the connection failed; the outcome stands either way).
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    s->finish(std::move(*d.outcome));
    co_return;
  }
  if (!wec && !s->done) co_await linger(stream, s->o.read_timeout);
}

net::awaitable<void> accept_loop(state* s) {
  for (;;) {
    auto [ec, sock] = co_await s->acceptor.async_accept(net::as_tuple(net::use_awaitable));
    if (s->done) co_return;
    if (ec == net::error::connection_aborted) continue;  // the client left before accept
    if (ec) {
      s->finish(failure(errc::internal, "loopback redirect listener: accept: " + ec.message()));
      co_return;
    }
    if (s->live.size() >= s->o.max_connections) continue;  // `sock` closes here
    net::co_spawn(s->io, serve(s, std::move(sock)), net::detached);
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
      continue;
    }
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
    if (lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

loopback_redirect::loopback_redirect(loopback_options o) : s_(std::make_unique<state>(std::move(o))) {}

loopback_redirect::~loopback_redirect() = default;

std::error_code loopback_redirect::listen(std::string* why) {
  auto fail = [&](const std::string& reason) {
    if (why) *why = reason;
    return make_error_code(errc::config_invalid);
  };
  if (s_->port != 0 || s_->waited) return fail("the loopback redirect listener listens once");
  if (s_->o.path.empty() || s_->o.path.front() != '/') return fail("the redirect path must start with '/'");
  tcp::endpoint at(net::ip::address_v4::loopback(), s_->o.port);
  boost::system::error_code ec;
  s_->acceptor.open(at.protocol(), ec);
  if (!ec) s_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) s_->acceptor.bind(at, ec);
  if (!ec) s_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    s_->acceptor.close(ignored);
    return fail("cannot listen on 127.0.0.1:" + std::to_string(s_->o.port) + " for the redirect: " + ec.message());
  }
  s_->port = s_->acceptor.local_endpoint(ec).port();
  return {};
}

std::uint16_t loopback_redirect::port() const { return s_->port; }

std::string loopback_redirect::redirect_uri(std::string_view host) const {
  return "http://" + std::string(host) + ":" + std::to_string(port()) + (s_->o.path == "/" ? "" : s_->o.path);
}

redirect_result loopback_redirect::wait(const std::string& expected_state) {
  if (expected_state.empty()) return failure(errc::internal, "loopback redirect: wait() needs the request's state");
  if (s_->waited) return failure(errc::internal, "loopback redirect: wait() may be called once");
  if (s_->port == 0) return failure(errc::internal, "loopback redirect: wait() before listen()");
  s_->waited = true;
  s_->expected_state = expected_state;
  std::string where = "http://127.0.0.1:" + std::to_string(port()) + s_->o.path;
  s_->deadline.expires_after(s_->o.timeout);
  s_->deadline.async_wait([s = s_.get(), where, t = s_->o.timeout](const boost::system::error_code& ec) {
    if (!ec)
      s->finish(failure(errc::timed_out, "no sign-in response reached " + where + " within " + duration_text(t)));
  });
  net::co_spawn(s_->io, accept_loop(s_.get()), net::detached);
  s_->io.run();
  return std::move(s_->result);
}

void loopback_redirect::cancel() {
  net::post(s_->io, [s = s_.get()] {
    s->finish(failure(std::make_error_code(std::errc::operation_canceled),
                      "waiting for the sign-in response was cancelled"));
  });
}

std::optional<query_params> parse_query(std::string_view query, std::string* why) {
  auto no = [&](std::string reason) -> std::optional<query_params> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  query_params out;
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return no("bad percent-encoding");
    if (name->empty()) return no("a parameter without a name");
    for (const auto& [k, v] : out)
      if (k == *name) return no("parameter '" + *name + "' appears more than once");
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace mh::oauth
