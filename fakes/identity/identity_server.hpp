// The fake Microsoft identity platform over HTTPS (DESIGN §4; exchange-facts §5-§7): the
// token_service behind an https_listener on the caller's io_context (single thread), with
// Entra's headers (Cache-Control no-store, no-cache / Pragma no-cache on token answers,
// max-age=86400 on metadata; x-ms-request-id; client-request-id echoed), injectable token
// endpoint faults, and a control API under /_fake:
//   POST /_fake/devicecode/approve {"user_code","upn"}   sign the device code in
//   POST /_fake/devicecode/deny    {"user_code"}         decline it
//   POST /_fake/faults/token {"status":429,"retry_after":2,"count":3} | {"delay_ms":500}
//   DELETE /_fake/faults/token                            clear;  GET shows the plan
//   GET  /_fake/events?since=N                            the event log as JSON
//   GET  /_fake                                           identity probe
// The control API has no authentication: keep the listener on loopback (the default).
// Routes under /{tenant}/ (tenant id, domain, common, organizations, consumers):
//   v2.0/.well-known/openid-configuration, discovery/v2.0/keys (also discovery/keys),
//   oauth2/v2.0/token, oauth2/v2.0/devicecode, oauth2/v2.0/authorize; and for MSAL's custom
//   authorities /common/discovery/instance and /common/userrealm/<user>.
#pragma once

#include <functional>
#include <optional>

#include <cstdint>
#include <memory>
#include <string>

#include "identity/https_listener.hpp"
#include "identity/identity_config.hpp"
#include "identity/key_store.hpp"
#include "identity/token_faults.hpp"
#include "identity/token_service.hpp"
#include "net/asio.hpp"
#include "observe/events.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

class identity_server {
 public:
  using config = identity_config;

  // Binds at once; throws boost::system::system_error when the address is unusable.
  // `t`, `events` and `keys` must outlive the server.
  identity_server(net::io_context& io, tenant& t, event_log& events, const key_store& keys,
                  std::shared_ptr<ssl::context> server_tls, identity_config cfg = {});
  ~identity_server();

  std::uint16_t port() const;
  // HTTPS connections accepted so far (io_context thread only).
  std::uint64_t connections_accepted() const;
  // "https://<public_host>:<port>": the base of every URL this server hands out.
  std::string issuer_base() const;
  // "https://<public_host>:<port>/<tenant id>", the authority MSAL and the CLI are given.
  std::string authority() const;
  std::string token_endpoint() const;   // authority() + "/oauth2/v2.0/token"
  std::string control_url() const;      // issuer_base() + "/_fake"
  // "https://sts.windows.net/<tenant id>/", the `iss` the mail servers must expect.
  std::string access_token_issuer() const;

  token_faults& faults() { return faults_; }

  // More control routes under /_fake, owned by whoever embeds the server (the mail fault
  // API of fake_exchange). Returns the HTTP status and JSON body, or nullopt for "no such
  // route". Called on the server's thread.
  using control_extension = std::function<std::optional<std::pair<int, nlohmann::json>>(
      std::string_view method, std::string_view path, const nlohmann::json& body)>;
  void set_control_extension(control_extension ext) { extension_ = std::move(ext); }
  token_service& service() { return *service_; }

  // Stops listening and closes every connection (any thread).
  void stop();

 private:
  // Fuzz targets only (fuzz/fuzz_identity_http.cpp): calls handle() and bad_request() on
  // requests parsed from fuzz input, as the listener would, without TLS.
  friend struct identity_server_fuzz_access;
  http_answer handle(const http_request& req);
  http_answer control(const http_request& req, std::string_view path);
  http_answer bad_request(int status, const std::string& reason);
  http_answer to_http(service_answer a, const http_request* req) const;

  tenant& t_;
  event_log& events_;
  std::unique_ptr<token_service> service_;
  token_faults faults_;
  std::unique_ptr<https_listener> listener_;
  std::string base_;
  control_extension extension_;
};

}  // namespace mh::fake
