// A fake Exchange (mail servers only) running on a background thread over loopback TLS,
// with the built-in demo tenant, a test signing key, tokens minted by the test itself
// (so each verdict can be produced exactly) and an injectable clock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "jwt/jwt.hpp"
#include "mail/mail_servers.hpp"
#include "script_server.hpp"
#include "session/login.hpp"
#include "tenant/tenant.hpp"

namespace mh::test {

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct fake_fixture {
  test_pki pki;
  fake::tenant t = fake::demo_tenant();
  fake::mail_store store{t};
  fake::event_log events;
  fake::fault_set faults;
  jwt::signing_key key = jwt::signing_key::generate();
  std::atomic<std::int64_t> clock_offset{0};
  fake::mail_context ctx;
  net::io_context io;
  std::unique_ptr<fake::mail_servers> servers;
  std::thread thread;

  explicit fake_fixture(fake::mail_config cfg = {})
      : ctx{t, store, events, faults, key.public_key(), cfg, pki.good,
            [this] { return unix_now() + clock_offset.load(); }, {}} {
    servers = std::make_unique<fake::mail_servers>(io, ctx);
    thread = std::thread([this] { io.run(); });
  }
  ~fake_fixture() {
    net::post(io, [this] { servers->stop(); });
    io.stop();
    thread.join();
  }

  std::string tid() const { return t.tenant_id; }

  // An app-only token as the identity platform mints it (exchange-facts §7).
  std::string app_token(const std::string& app_key, std::string aud = "https://outlook.office365.com",
                        std::int64_t lifetime = 3600, bool with_roles = true) const {
    const fake::app* a = t.find_app_by_key(app_key);
    auto now = unix_now();
    nlohmann::json c = {{"aud", aud}, {"iss", "https://sts.windows.net/" + tid() + "/"},
                        {"iat", now - 300}, {"nbf", now - 300}, {"exp", now + lifetime},
                        {"appid", a->client_id}, {"appidacr", "1"}, {"idtyp", "app"},
                        {"oid", a->sp_object_id}, {"sub", a->sp_object_id}, {"tid", tid()},
                        {"ver", "1.0"}};
    if (with_roles && a->admin_consent) c["roles"] = a->application_permissions;
    return sign(c);
  }

  // A delegated token for `upn` through the public client.
  std::string user_token(const std::string& upn,
                         std::string scp = "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send",
                         std::string aud = "https://outlook.office.com") const {
    const fake::user* u = t.find_user(upn);
    const fake::app* a = t.find_app_by_key("good-public");
    auto now = unix_now();
    nlohmann::json c = {{"aud", aud}, {"iss", "https://sts.windows.net/" + tid() + "/"},
                        {"iat", now - 300}, {"nbf", now - 300}, {"exp", now + 3600},
                        {"appid", a->client_id}, {"appidacr", "0"}, {"oid", u->object_id},
                        {"sub", u->object_id}, {"upn", u->upn}, {"unique_name", u->upn},
                        {"scp", scp}, {"tid", tid()}, {"ver", "1.0"}};
    return sign(c);
  }

  std::string sign(const nlohmann::json& claims, const jwt::signing_key* with = nullptr) const {
    return jwt::encode({{"typ", "JWT"}, {"alg", "RS256"}, {"kid", "test"}}, claims,
                       with ? *with : key);
  }

  login_options options(protocol p, const std::string& user, const std::string& token) const {
    login_options o;
    o.proto = p;
    o.host = "localhost";
    o.port = p == protocol::imap ? servers->imap_port()
             : p == protocol::pop3 ? servers->pop3_port()
                                   : servers->smtp_port();
    o.tls = default_tls(p);
    o.ca_file = pki.ca_file;
    o.timeout = std::chrono::seconds(10);
    o.client.creds.user = user;
    o.client.creds.token = secret_string(token);
    o.client.mech = sasl::choice::xoauth2;
    return o;
  }

  login_result login(protocol p, const std::string& user, const std::string& token) const {
    return login_blocking(options(p, user, token));
  }
};

}  // namespace mh::test
