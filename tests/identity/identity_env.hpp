// A running fake identity platform for tests: the test tenant, a fake clock the test moves
// (no sleeping), the server on a background io_context thread over a throw-away PKI, and a
// libcurl HTTPS client (one handle, so keep-alive is real) plus a raw TLS socket for
// malformed requests. The RSA material (token-signing pair, a client certificate) is
// generated once per process.
#pragma once

#include <curl/curl.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "identity/identity_server.hpp"
#include "script_server.hpp"
#include "test_tenant.hpp"

namespace mh::test {

struct http_result {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& lower_name) const;
};

// Generated once per process (RSA generation is the slow part).
struct identity_material {
  std::string state_dir;        // holds the token-signing pair
  std::string client_cert_pem;  // registered on the good app
  std::string client_key_pem;
  std::string other_key_pem;    // an RSA key no certificate belongs to
  static const identity_material& get();
};

using params = std::vector<std::pair<std::string, std::string>>;

class identity_env {
 public:
  static constexpr std::int64_t start_time = 1'700'000'000;  // 2023-11-14T22:13:20Z

  // `tweak` edits the tenant before the server starts.
  explicit identity_env(const std::function<void(fake::tenant&)>& tweak = {},
                        fake::identity_config cfg = {});
  ~identity_env();

  std::atomic<std::int64_t> now{start_time};
  fake::tenant tenant;
  fake::event_log events;
  fake::identity_server& server() { return *server_; }
  const fake::key_store& keys() const { return *keys_; }
  std::string url(const std::string& path) const { return server_->issuer_base() + path; }
  const std::string& ca_file() const { return pki_.ca_file; }  // trusts the server's certificate

  http_result request(const std::string& method, const std::string& path, const std::string& body,
                      const std::vector<std::string>& headers = {});
  http_result get(const std::string& path) { return request("GET", path, ""); }
  http_result post_form(const std::string& path, const params& p,
                        const std::vector<std::string>& headers = {});
  http_result post_json(const std::string& path, const nlohmann::json& j);
  // POST to /<tenant>/oauth2/v2.0/token (tenant id unless given).
  http_result token(const params& p, const std::string& tenant_segment = idp::tenant_id,
                    const std::vector<std::string>& headers = {});
  // Writes `bytes` on a fresh TLS connection and returns everything read until close.
  std::string raw(const std::string& bytes);
  // Number of connections libcurl opened for the last request (0: reused).
  long last_new_connections() const { return new_connections_; }

  // The claims of `token` if it verifies with the published JWKS key.
  std::optional<nlohmann::json> verified_claims(const std::string& token) const;
  // Every event's JSON, concatenated (to check that no secret leaked into it).
  std::string events_dump() const { return events.to_json().dump(); }
  std::vector<nlohmann::json> events_of(const std::string& kind) const;

 private:
  test_pki pki_;
  std::optional<fake::key_store> keys_;
  net::io_context io_;
  std::unique_ptr<fake::identity_server> server_;
  std::thread thread_;
  CURL* curl_ = nullptr;
  long new_connections_ = 0;
};

// Asserts the Entra error shape (exchange-facts §5.7) and returns the body.
nlohmann::json expect_aadsts(const http_result& r, long status, const std::string& error, int code);

}  // namespace mh::test
