// Routing, Entra's response headers, token-endpoint faults and the /_fake control API.
#include "identity/identity_server.hpp"

#include <boost/beast/http/field.hpp>

#include "identity/ids.hpp"

namespace mh::fake {
namespace {

constexpr auto json_dump_mode = nlohmann::ordered_json::error_handler_t::replace;

std::string header(const http_request& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::string() : std::string(it->value());
}

// "/a/b%40c/d" -> {"a", "b@c", "d"}; nullopt on bad escapes or non-UTF-8.
std::optional<std::vector<std::string>> path_segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    // Percent-decoding only: '+' is literal in a path.
    std::string raw;
    for (char c : seg) raw += c == '+' ? std::string("%2B") : std::string(1, c);
    auto d = url_decode(raw);
    if (!d || !valid_utf8(*d)) return std::nullopt;
    out.push_back(std::move(*d));
  }
  return out;
}

std::string join(const std::vector<std::string>& v, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < v.size(); ++i) out += (i > from ? "/" : "") + v[i];
  return out;
}

}  // namespace

identity_server::identity_server(net::io_context& io, tenant& t, event_log& events,
                                 const key_store& keys, std::shared_ptr<ssl::context> server_tls,
                                 identity_config cfg)
    : t_(t), events_(events), service_(std::make_unique<token_service>(t, events, keys, cfg)) {
  tcp::endpoint at(net::ip::make_address(cfg.listen_address), cfg.port);
  listener_ = std::make_unique<https_listener>(
      io, at, std::move(server_tls), [this](const http_request& r) { return handle(r); },
      [this](int status, const std::string& why) { return bad_request(status, why); });
  base_ = "https://" + cfg.public_host + ":" + std::to_string(listener_->port());
  service_->set_base_url(base_);
}

identity_server::~identity_server() = default;

std::uint16_t identity_server::port() const { return listener_->port(); }
std::uint64_t identity_server::connections_accepted() const { return listener_->connections_accepted(); }
std::string identity_server::issuer_base() const { return base_; }
std::string identity_server::authority() const { return base_ + "/" + t_.tenant_id; }
std::string identity_server::token_endpoint() const { return authority() + "/oauth2/v2.0/token"; }
std::string identity_server::control_url() const { return base_ + "/_fake"; }
std::string identity_server::access_token_issuer() const { return service_->access_token_issuer(); }
void identity_server::stop() { listener_->stop(); }

http_answer identity_server::to_http(service_answer a, const http_request* req) const {
  http_answer out;
  auto& res = out.res;
  res.result(static_cast<unsigned>(a.status));
  if (!a.location.empty()) {
    res.result(http::status::found);
    res.set(http::field::location, a.location);
  } else {
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = a.body.dump(-1, ' ', false, json_dump_mode);
  }
  if (a.cache == service_answer::caching::metadata) {
    res.set(http::field::cache_control, "max-age=86400, private");
    res.set(http::field::access_control_allow_origin, "*");
  } else {
    res.set(http::field::cache_control, "no-store, no-cache");
    res.set(http::field::pragma, "no-cache");
  }
  res.set("x-ms-request-id", a.trace_id.empty() ? random_guid() : a.trace_id);
  if (req) {
    std::string crid = header(*req, "client-request-id");
    if (is_guid(crid)) res.set("client-request-id", crid);
  }
  for (auto& [k, v] : a.headers) res.set(k, v);
  if (a.finish) out.finish = [f = std::move(a.finish)](http_response& r) { f(r.body()); };
  return out;
}

http_answer identity_server::bad_request(int status, const std::string& reason) {
  aad_error e = aadsts::malformed_request("Malformed HTTP request: " + reason);
  e.status = status;
  if (status >= 500) e.error = "server_error";
  events_.add("http.bad_request", {{"status", status}, {"reason", reason}});
  return to_http(service_->error_answer(e, {}), nullptr);
}

http_answer identity_server::handle(const http_request& req) {
  // Not a structured binding: clang 14 cannot capture one in a lambda (not_found below).
  auto target = split_target(req.target());
  std::string_view path = target.first, query = target.second;
  auto segs = path_segments(path);
  service_request sr;
  sr.method = std::string(req.method_string());
  sr.query = std::string(query);
  sr.content_type = header(req, "Content-Type");
  sr.body = req.body();
  sr.authorization = header(req, "Authorization");
  sr.client_request_id = header(req, "client-request-id");
  if (!segs) return to_http(service_->error_answer(aadsts::malformed_request("Malformed request path."), sr), &req);
  if (!segs->empty() && (*segs)[0] == "_fake") return control(req, join(*segs, 1));
  auto not_found = [&] {
    aad_error e = aadsts::malformed_request("No such endpoint: " + std::string(path));
    e.status = 404;
    e.error = "not_found";
    return to_http(service_->error_answer(e, sr), &req);
  };
  if (segs->size() < 2) return not_found();
  sr.tenant = (*segs)[0];
  std::string rest = join(*segs, 1);
  bool get = req.method() == http::verb::get;
  if (get && rest == "v2.0/.well-known/openid-configuration")
    return to_http(service_->openid_configuration(sr), &req);
  if (get && (rest == "discovery/v2.0/keys" || rest == "discovery/keys"))
    return to_http(service_->keys(sr), &req);
  if (get && rest == "discovery/instance") return to_http(service_->instance_discovery(sr), &req);
  if (get && segs->size() == 3 && (*segs)[1] == "userrealm")
    return to_http(service_->user_realm(sr, (*segs)[2]), &req);
  if (rest == "oauth2/v2.0/devicecode") return to_http(service_->devicecode(sr), &req);
  if (rest == "oauth2/v2.0/authorize" && get) return to_http(service_->authorize(sr), &req);
  if (rest != "oauth2/v2.0/token") return not_found();

  std::chrono::milliseconds delay{0};
  service_answer a;
  if (auto f = faults_.take()) {
    events_.add("token.fault", {{"status", f->status}, {"delay_ms", f->delay_ms},
                                {"retry_after", f->retry_after_s}});
    delay = std::chrono::milliseconds(f->delay_ms);
    aad_error e = aadsts::fault(f->status);
    a = service_->token(sr, f->status ? &e : nullptr);
    if (f->status && f->retry_after_s > 0)
      a.headers.emplace_back("Retry-After", std::to_string(f->retry_after_s));
  } else {
    a = service_->token(sr);
  }
  http_answer out = to_http(std::move(a), &req);
  out.delay = delay;
  return out;
}

http_answer identity_server::control(const http_request& req, std::string_view path) {
  auto reply = [&](int status, nlohmann::ordered_json body) {
    service_answer a;
    a.status = status;
    a.body = std::move(body);
    return to_http(std::move(a), &req);
  };
  auto fail = [&](int status, const std::string& why) {
    return reply(status, {{"error", status == 404 ? "not_found" : "invalid_request"},
                          {"error_description", why}});
  };
  bool post = req.method() == http::verb::post;
  nlohmann::json body = nlohmann::json::parse(req.body(), nullptr, false);
  if (post && body.is_discarded()) return fail(400, "the body must be JSON");

  if (path.empty() && req.method() == http::verb::get)
    return reply(200, {{"fake", "mailharness identity platform"}, {"tenant_id", t_.tenant_id},
                       {"authority", authority()}});
  if (post && (path == "devicecode/approve" || path == "devicecode/deny"))
    return to_http(service_->device_decision(body, path == "devicecode/approve"), &req);
  if (path == "faults/token") {
    if (req.method() == http::verb::delete_) {
      faults_.clear();
      return reply(200, {{"faults", nullptr}});
    }
    if (post) {
      std::string why;
      auto f = token_faults::from_json(body, &why);
      if (!f) return fail(400, why);
      faults_.set(*f);
    } else if (req.method() != http::verb::get) {
      return fail(405, "use GET, POST or DELETE");
    }
    auto p = faults_.pending();
    if (!p) return reply(200, {{"faults", nullptr}});
    return reply(200, {{"faults", {{"status", p->status}, {"retry_after", p->retry_after_s},
                                   {"delay_ms", p->delay_ms}, {"count", p->count}}}});
  }
  if (path == "events" && req.method() == http::verb::get) {
    auto q = parse_form(split_target(req.target()).second);
    std::size_t since = 0;
    if (q && q->has("since")) since = std::strtoull(q->value("since").c_str(), nullptr, 10);
    service_answer a;
    a.body = nlohmann::ordered_json::parse(events_.to_json(since).dump(-1, ' ', false, json_dump_mode));
    return to_http(std::move(a), &req);
  }
  if (extension_) {
    // A GET has no body: the extension gets its query parameters as a JSON object instead.
    if (req.method() == http::verb::get) {
      auto q = parse_form(split_target(req.target()).second);
      if (!q) return fail(400, "malformed query string");
      body = nlohmann::json::object();
      for (const auto& [k, v] : q->items()) body[k] = v;
    }
    if (auto r = extension_(req.method_string(), path, body))
      return reply(r->first, nlohmann::ordered_json::parse(r->second.dump()));
  }
  return fail(404, "no such control route");
}

}  // namespace mh::fake
