// How the scenario runner sets up the target of one case: a fresh embedded fake set up as the
// scenario says, the control API of a running fake (faults for one scenario), and the tokens
// the case logs in with (the scenario's flow against the fake, or a tenant profile's own
// credential).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

#include "embedded_fake.hpp"
#include "oauth/http_client.hpp"
#include "oauth/providers.hpp"
#include "oauth/token_manager.hpp"
#include "scenario.hpp"
#include "token_config.hpp"

namespace mh::cli {

enum class target_kind { embedded, ready_file, profile };

// One token credential for a case: the token client and its manager.
struct case_tokens {
  std::unique_ptr<oauth::http_client> http;
  std::unique_ptr<oauth::token_client> client;
  std::unique_ptr<oauth::token_manager> own_manager;
  std::unique_ptr<credential_tokens> profile_credential;  // a tenant profile's own credential
  oauth::token_manager* manager = nullptr;
  std::string client_id;
  std::string account;
  secret_string static_token;
};

// A running fake's control API (ready file "control"): faults for one scenario.
class fake_control {
 public:
  explicit fake_control(const nlohmann::json& ready) : base_(ready.value("control", "")) {
    oauth::http_options ho;
    ho.ca_file = ready.value("ca_file", "");
    http_ = std::make_unique<oauth::http_client>(ho);
    http_->retry.max_attempts = 1;
  }
  void apply(const fake_setup& f) {
    if (!f.mail_faults.empty()) call("POST", "/faults/mail", nlohmann::json(f.mail_faults).dump());
    if (f.token_fault) call("POST", "/faults/token", f.token_fault->dump());
  }
  void clear() {
    call("DELETE", "/faults/mail", "");
    call("DELETE", "/faults/token", "");
  }

 private:
  void call(const char* method, const std::string& path, const std::string& body) {
    auto r = http_->perform({method, base_ + path, body, {"Content-Type: application/json"}});
    if (r.ec || r.response.status != 200)
      throw std::runtime_error(std::string(method) + " " + base_ + path + ": " +
                               (r.ec ? r.error : "HTTP " + std::to_string(r.response.status) + " " + r.response.body));
  }
  std::string base_;
  std::unique_ptr<oauth::http_client> http_;
};

// A fake Exchange on its own thread, set up as one scenario says. Throws config_error for a
// bad token fault.
std::unique_ptr<embedded_fake> start_scenario_fake(const std::string& state_dir, const scenario& s);

// Why a case cannot run on this target (empty: it can).
std::string skip_reason(const scenario& s, target_kind kind);

// The token machinery of one case. `fx` is the embedded fake, or null for a ready file or a
// profile (`ready` then carries the target); `vars` fills the scenario's ${…}.
std::unique_ptr<case_tokens> make_tokens(const scenario& s, const nlohmann::json& ready, fake::fake_exchange* fx,
                                         const std::map<std::string, std::string>& vars);

}  // namespace mh::cli
