#include "identity_env.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "identity/http_form.hpp"
#include "jwt/jwt.hpp"
#include "net/pki.hpp"

namespace mh::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

}  // namespace

std::string http_result::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

const identity_material& identity_material::get() {
  static const identity_material m = [] {
    identity_material x;
    char tmpl[] = "/tmp/mh-idp-XXXXXX";
    x.state_dir = ::mkdtemp(tmpl);
    fake::key_store::load_or_create(x.state_dir);  // the token-signing pair, reused by every env
    pki::make_ca(x.state_dir, "client", {"mailharness test client", pki::key_type::rsa2048});
    pki::make_ca(x.state_dir, "other", {"unregistered key", pki::key_type::rsa2048});
    x.client_cert_pem = read_file(x.state_dir + "/client.pem");
    x.client_key_pem = read_file(x.state_dir + "/client-key.pem");
    x.other_key_pem = read_file(x.state_dir + "/other-key.pem");
    // Removed at exit. The path is kept in a plain array: the callback runs after `m`
    // itself has been destroyed (it was registered while `m` was being built).
    static char dir[64];
    std::snprintf(dir, sizeof dir, "%s", x.state_dir.c_str());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    return x;
  }();
  return m;
}

identity_env::identity_env(const std::function<void(fake::tenant&)>& tweak,
                           fake::identity_config cfg) {
  const auto& m = identity_material::get();
  tenant = idp::make_test_tenant(m.client_cert_pem);
  if (tweak) tweak(tenant);
  keys_.emplace(fake::key_store::load_or_create(m.state_dir));
  cfg.clock = [this] { return now.load(); };
  cfg.seed = 42;
  server_ = std::make_unique<fake::identity_server>(io_, tenant, events, *keys_, pki_.good, cfg);
  thread_ = std::thread([this] { io_.run(); });
  curl_ = curl_easy_init();
}

identity_env::~identity_env() {
  curl_easy_cleanup(curl_);
  server_->stop();
  io_.stop();
  thread_.join();
  server_.reset();
}

http_result identity_env::request(const std::string& method, const std::string& path,
                                  const std::string& body, const std::vector<std::string>& headers) {
  http_result r;
  curl_easy_reset(curl_);
  std::string u = url(path);
  curl_easy_setopt(curl_, CURLOPT_URL, u.c_str());
  curl_easy_setopt(curl_, CURLOPT_CAINFO, pki_.ca_file.c_str());
  curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method != "GET") {
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 30L);
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl_);
  curl_slist_free_all(list);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc) << " " << method << " " << path;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(curl_, CURLINFO_NUM_CONNECTS, &new_connections_);
  return r;
}

http_result identity_env::post_form(const std::string& path, const params& p,
                                    const std::vector<std::string>& headers) {
  std::string body;
  for (const auto& [k, v] : p) body += (body.empty() ? "" : "&") + fake::url_encode(k) + "=" + fake::url_encode(v);
  auto h = headers;
  h.push_back("Content-Type: application/x-www-form-urlencoded");
  return request("POST", path, body, h);
}

http_result identity_env::post_json(const std::string& path, const nlohmann::json& j) {
  return request("POST", path, j.dump(), {"Content-Type: application/json"});
}

http_result identity_env::token(const params& p, const std::string& tenant_segment,
                                const std::vector<std::string>& headers) {
  return post_form("/" + tenant_segment + "/oauth2/v2.0/token", p, headers);
}

std::string identity_env::raw(const std::string& bytes) {
  net::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  ssl::stream<tcp::socket> s(io, ctx);
  s.next_layer().connect({net::ip::make_address("127.0.0.1"), server_->port()});
  timeval tv{10, 0};
  ::setsockopt(s.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  s.handshake(ssl::stream_base::client);
  boost::system::error_code ec;
  net::write(s, net::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  while (!ec) {
    std::size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
  }
  return out;
}

std::optional<nlohmann::json> identity_env::verified_claims(const std::string& token) const {
  auto jwks = keys_->jwks("x");
  auto key = jwt::verify_key::from_jwk(nlohmann::json::parse(jwks["keys"][0].dump()));
  auto t = jwt::decode(token);
  if (!key || !t || !jwt::verify(*t, *key)) return std::nullopt;
  return t->claims;
}

std::vector<nlohmann::json> identity_env::events_of(const std::string& kind) const {
  std::vector<nlohmann::json> out;
  for (const auto& e : events.snapshot())
    if (e.kind == kind) out.push_back(e.data);
  return out;
}

nlohmann::json expect_aadsts(const http_result& r, long status, const std::string& error, int code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto j = r.json();
  EXPECT_TRUE(j.is_object()) << r.body;
  if (!j.is_object()) return j;
  EXPECT_EQ(j.value("error", ""), error) << r.body;
  std::string desc = j.value("error_description", "");
  EXPECT_TRUE(desc.starts_with("AADSTS" + std::to_string(code) + ": ")) << desc;
  static const std::regex trailer(
      "\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\n"
      "Timestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$");
  EXPECT_TRUE(std::regex_search(desc, trailer)) << desc;
  EXPECT_EQ(j["error_codes"], nlohmann::json::array({code})) << r.body;
  EXPECT_EQ(j.value("error_uri", ""), "https://login.microsoftonline.com/error?code=" + std::to_string(code));
  EXPECT_EQ(j.value("trace_id", ""), r.header("x-ms-request-id"));
  EXPECT_NE(desc.find("Trace ID: " + j.value("trace_id", "")), std::string::npos);
  EXPECT_NE(desc.find("Timestamp: " + j.value("timestamp", "")), std::string::npos);
  EXPECT_EQ(r.header("cache-control"), "no-store, no-cache");
  EXPECT_EQ(r.header("pragma"), "no-cache");
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  return j;
}

}  // namespace mh::test
