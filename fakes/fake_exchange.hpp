// The whole fake Exchange Online on one io_context: the tenant model, the identity platform
// (HTTPS), the IMAP/POP3/SMTP servers, the mail store, faults and the event log, with a
// state dir holding the local CA, the server certificate and the token-signing key
// (created on first start, reused after). `mailharness fake` runs one; the scenario runner
// embeds one on a background thread.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/files.hpp"
#include "identity/identity_server.hpp"
#include "identity/key_store.hpp"
#include "mail/mail_servers.hpp"
#include "net/pki.hpp"
#include "observe/verdicts.hpp"

namespace mh::fake {

struct fake_options {
  std::optional<std::string> tenant_file;  // empty: the built-in demo tenant
  std::string listen = "127.0.0.1";
  std::uint16_t identity_port = 0;
  std::string state_dir;                   // required
  std::vector<std::string> hostnames;      // extra certificate names besides localhost/127.0.0.1
  std::optional<int> token_lifetime_s;     // overrides the tenant's token policy
  mail_config mail;                        // ports and server behaviour
  std::vector<fault_rule> faults;          // active from the start
  bool persist_mail = false;               // keep the mail store in <state_dir>/mail.json
  verdict_options verdicts;                // defaults of GET /_fake/verdicts and verdicts()
  pki::key_type server_key = pki::key_type::ec_p256;  // the mail and HTTPS certificate's key
};

class fake_exchange {
 public:
  // Loads the tenant, prepares the state dir, binds every listener. Throws
  // config_error (tenant file), std::runtime_error (state dir) or std::system_error (ports).
  fake_exchange(net::io_context& io, fake_options o);
  ~fake_exchange();

  // The ready-file document (DESIGN §4, version 1): ports, CA, tenant, demo credentials.
  nlohmann::json ready_info() const;
  void stop();

  tenant& tenant_model() { return tenant_; }
  event_log& events() { return events_; }
  fault_set& mail_faults() { return faults_; }
  mail_store& store() { return *store_; }
  identity_server& identity() { return *identity_; }
  const mail_servers& mail() const { return *mail_; }
  const std::string& ca_file() const { return ca_file_; }
  // The token-refresh verdicts document (observe/verdicts.hpp) over the events so far, with
  // the fake's verdict options; `client_id` non-empty: that client's entries only.
  nlohmann::ordered_json verdicts(std::string_view client_id = {}) const;

 private:
  std::string mail_file() const;
  std::optional<std::pair<int, nlohmann::json>> control(std::string_view method,
                                                        std::string_view path,
                                                        const nlohmann::json& body);
  std::pair<int, nlohmann::json> verdicts_route(std::string_view method,
                                                const nlohmann::json& query) const;
  fake_options o_;
  tenant tenant_;
  event_log events_;
  fault_set faults_;
  std::unique_ptr<mail_store> store_;
  std::string ca_file_;
  std::shared_ptr<ssl::context> tls_;
  std::unique_ptr<key_store> keys_;
  std::unique_ptr<identity_server> identity_;
  std::unique_ptr<mail_context> mail_ctx_;
  std::unique_ptr<mail_servers> mail_;
};

// Creates (once) <dir>/ca.pem, <dir>/ca-key.pem and the server certificate <dir>/<stem>.pem
// with <dir>/<stem>-key.pem, where <stem> is server_cert_stem(key); the server certificate
// names localhost, 127.0.0.1 and `hostnames` and is re-issued when they change. Returns the
// path of ca.pem.
std::string ensure_state_pki(const std::string& dir, const std::vector<std::string>& hostnames,
                             pki::key_type key = pki::key_type::ec_p256);
// "server" (ECDSA P-256, the default) or "server-rsa" (RSA 2048).
std::string server_cert_stem(pki::key_type key);

// Atomic 0600 writes live in core/files.hpp; re-exported for the fake's callers.
using ::mh::write_file_atomically;

}  // namespace mh::fake
