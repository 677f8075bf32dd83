// The fake identity platform's request handling (fakes/identity/identity_server.*): the input
// is the byte stream of one client connection, one or more HTTP/1.1 requests parsed with
// Boost.Beast's request parser under the listener's limits (https_listener.hpp
// listener_limits: 16 KiB of headers, 1 MiB hard body limit, 413 above 64 KiB), each handed to
// the handler the listener calls (identity_server::handle, or bad_request for an unparseable
// request, which ends the connection as it does there). No TLS, no socket: the server is
// built per input (fresh tenant copy, grant store and event log; fixed clock, fixed token
// lifetime seed) and its listener never accepts. Covers routing, discovery, form parsing,
// every grant (client credentials, password, refresh, device code, authorization code),
// client authentication (secret, Basic, client-assertion JWT) and the /_fake control API.
// Later requests may use what earlier answers handed out: in a request's target and body,
// @RT@ becomes the last refresh_token, @DC@ the last device_code, @UC@ the last user_code and
// @CODE@ the last authorization code (from a 302 Location).
// Invariants:
//   - every answer serializes to a well-formed HTTP response that Beast parses back with the
//     same status (100-599) and body;
//   - JSON error bodies (status >= 400) are objects carrying string error and
//     error_description; outside /_fake, error_codes is [n] exactly when error_description
//     starts "AADSTS<n>: ";
//   - no answer and no event contains a tenant secret or password, nor a client secret or
//     password the request sent (16+ characters), unless the request carried the same text
//     outside its credentials too (a path or client id may be echoed).
// Handler exceptions are not caught here (the listener would answer 500): they are bugs.
// fuzz-runs: 300
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "fake_server_env.hpp"
#include "identity/http_form.hpp"
#include "identity/identity_server.hpp"

namespace mh::fake {
struct identity_server_fuzz_access {
  static http_answer handle(identity_server& s, const http_request& r) { return s.handle(r); }
  static http_answer bad_request(identity_server& s, int status, const std::string& why) {
    return s.bad_request(status, why);
  }
};
}  // namespace mh::fake

namespace {

using namespace mh;
using access = fake::identity_server_fuzz_access;
namespace beast = boost::beast;

constexpr std::size_t max_requests = 8;

// What earlier answers handed out, for @RT@, @DC@, @UC@, @CODE@.
struct handed_out {
  std::string rt, dc, uc, code;
};

const std::vector<std::string>& tenant_secrets() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    const auto& t = fuzz::fuzz_tenant();
    for (const auto& a : t.apps)
      for (const auto& s : a.secrets) out.emplace_back(s.value.reveal());
    for (const auto& u : t.users)
      if (!u.password.reveal().empty()) out.emplace_back(u.password.reveal());
    return out;
  }();
  return v;
}

bool trace() {
  static const bool on = std::getenv("MH_FUZZ_TRACE") != nullptr;
  return on;
}

void substitute(fake::http_request& req, const handed_out& h) {
  std::string target(req.target());
  std::string body = req.body();
  for (std::string* s : {&target, &body}) {
    fuzz::replace_all(*s, "@RT@", h.rt);
    fuzz::replace_all(*s, "@DC@", h.dc);
    fuzz::replace_all(*s, "@UC@", h.uc);
    fuzz::replace_all(*s, "@CODE@", h.code);
  }
  if (target != req.target()) req.target(target);
  if (body != req.body()) {
    req.body() = std::move(body);
    req.prepare_payload();
  }
}

// The client secrets and passwords a request carries (form body or Basic header), and the
// rest of its text: what the request sent outside them may be echoed (a path, a client id),
// so a secret is only looked for in answers when the rest does not hold it too.
struct sent_secrets {
  std::vector<std::string> values;
  std::string rest;
};

sent_secrets secrets_of(const fake::http_request& req) {
  sent_secrets out;
  out.rest = std::string(req.target());
  for (const auto& f : req)
    if (f.name() != beast::http::field::authorization) out.rest += "\n" + std::string(f.value());
  if (auto form = fake::parse_form(req.body())) {
    for (const auto& item : form->items()) {
      if (item.first == "client_secret" || item.first == "password")
        out.values.push_back(item.second);
      else
        out.rest += "\n" + item.first + "=" + item.second;
    }
  } else {
    out.rest += "\n" + req.body();
  }
  auto auth = req.find(beast::http::field::authorization);
  if (auth != req.end()) {
    if (auto b = fake::parse_basic_auth(auth->value())) {
      out.values.push_back(b->secret);
      out.rest += "\n" + b->id;
    } else {
      out.rest += "\n" + std::string(auth->value());
    }
  }
  std::erase_if(out.values, [](const std::string& v) { return v.size() < 16; });
  for (const auto& t : tenant_secrets()) out.values.push_back(t);
  return out;
}

void check_error_body(const std::string& path, const fake::http_response& res) {
  if (res.result_int() < 400) return;
  auto ct = res.find(beast::http::field::content_type);
  if (ct == res.end() || ct->value().find("json") == std::string_view::npos) return;
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (!j.is_object()) __builtin_trap();
  auto e = j.find("error");
  auto d = j.find("error_description");
  if (e == j.end() || !e->is_string() || e->get<std::string>().empty()) __builtin_trap();
  if (d == j.end() || !d->is_string() || d->get<std::string>().empty()) __builtin_trap();
  if (path.rfind("/_fake", 0) == 0) return;
  std::string desc = d->get<std::string>();
  auto codes = j.find("error_codes");
  if (codes == j.end()) {
    if (desc.rfind("AADSTS", 0) == 0) __builtin_trap();
    return;
  }
  if (!codes->is_array() || codes->size() != 1 || !(*codes)[0].is_number_integer()) __builtin_trap();
  if (desc.rfind("AADSTS" + std::to_string((*codes)[0].get<long long>()) + ": ", 0) != 0)
    __builtin_trap();
}

void check_answer(const std::string& path, fake::http_answer& a, unsigned version, bool keep_alive,
                  const sent_secrets& secrets, const fake::event_log& events, std::size_t events_before) {
  if (a.finish) a.finish(a.res);  // the listener runs it on a worker thread
  // As the listener's send() does.
  a.res.version(version);
  a.res.keep_alive(keep_alive);
  a.res.prepare_payload();
  unsigned status = a.res.result_int();
  if (status < 100 || status > 599) __builtin_trap();
  std::ostringstream os;
  os << a.res;
  std::string wire = os.str();
  beast::http::response_parser<beast::http::string_body> p;
  p.eager(true);
  p.body_limit(1u << 30);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(wire), ec);
  if (!ec && !p.is_done()) p.put_eof(ec);
  if (ec || !p.is_done() || p.get().result_int() != status || p.get().body() != a.res.body())
    __builtin_trap();
  check_error_body(path, a.res);
  std::string ev = events.to_json(events_before).dump(-1, 0x20, false, nlohmann::json::error_handler_t::replace);
  for (const auto& v : secrets.values) {
    if (secrets.rest.find(v) != std::string::npos) continue;
    if (wire.find(v) != std::string::npos || ev.find(v) != std::string::npos) __builtin_trap();
  }
  if (trace()) std::cerr << "=> " << status << " " << a.res.body().substr(0, 400) << "\n";
}

void remember(const fake::http_response& res, handed_out& h) {
  auto loc = res.find(beast::http::field::location);
  if (loc != res.end()) {
    std::string_view l = loc->value();
    auto q = l.find_first_of("?#");
    if (q != std::string_view::npos)
      if (auto f = fake::parse_form(l.substr(q + 1)); f && f->has("code")) h.code = f->value("code");
  }
  auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (!j.is_object()) return;
  for (auto [name, slot] : {std::pair{"refresh_token", &h.rt}, std::pair{"device_code", &h.dc},
                            std::pair{"user_code", &h.uc}})
    if (auto it = j.find(name); it != j.end() && it->is_string()) *slot = it->get<std::string>();
}

int status_for(const boost::system::error_code& ec) {  // https_listener.cpp
  if (ec == beast::http::error::body_limit) return 413;
  if (ec == beast::http::error::header_limit) return 431;
  return 400;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static net::io_context io;
  static auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
  fake::tenant t = fuzz::fuzz_tenant();
  fake::event_log events;
  fake::identity_config cfg;
  cfg.clock = [] { return fuzz::fixed_now; };
  cfg.seed = 1;
  const fake::listener_limits limits;
  {
    fake::identity_server server(io, t, events, fuzz::signing_keys(), tls, cfg);
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    handed_out h;
    for (std::size_t n = 0; n < max_requests && !rest.empty(); ++n) {
      beast::http::request_parser<beast::http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
      parser.body_limit(limits.hard_body_bytes);
      parser.eager(true);
      boost::system::error_code ec;
      while (!ec && !parser.is_done()) {
        std::size_t used = rest.empty() ? 0 : parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        if (ec == beast::http::error::need_more) ec = {};
        if (!ec && used == 0 && !parser.is_done()) {
          // All that is left is not enough: the connection ends here (as http::read sees it).
          parser.put_eof(ec);
          if (!ec && !parser.is_done()) ec = beast::http::error::partial_message;
        }
      }
      if (ec) {
        std::size_t events_before = events.size();
        fake::http_answer a = access::bad_request(server, status_for(ec), ec.message());
        check_answer("", a, 11, false, sent_secrets{tenant_secrets(), {}}, events, events_before);
        break;
      }
      fake::http_request req = parser.release();
      substitute(req, h);
      if (trace()) std::cerr << req.method_string() << " " << req.target() << " " << req.body() << "\n";
      bool keep_alive = req.keep_alive();
      auto secrets = secrets_of(req);
      std::string path(fake::split_target(req.target()).first);
      std::size_t events_before = events.size();
      fake::http_answer a;
      if (req.body().size() > limits.body_bytes) {
        a = access::bad_request(server, 413, "request body larger than " +
                                                 std::to_string(limits.body_bytes) + " bytes");
      } else {
        a = access::handle(server, req);
      }
      check_answer(path, a, req.version(), keep_alive, secrets, events, events_before);
      remember(a.res, h);
      if (!keep_alive) break;
    }
  }
  // Let the never-accepting listener's coroutine see its acceptor closed and end.
  io.restart();
  io.poll();
  return 0;
}
