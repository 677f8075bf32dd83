// A fake Exchange Online running on its own thread inside the mailharness process: what `run`
// starts per scenario case and what `bench` measures by default. The destructor stops the fake
// and joins its thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "fake_exchange.hpp"

namespace mh::cli {

class embedded_fake {
 public:
  // Throws what fake_exchange's constructor throws (config_error, runtime_error, system_error).
  explicit embedded_fake(fake::fake_options o);
  ~embedded_fake();
  embedded_fake(const embedded_fake&) = delete;
  embedded_fake& operator=(const embedded_fake&) = delete;

  // The ready-file document (ports, CA, demo credentials).
  const nlohmann::json& ready() const { return ready_; }
  fake::fake_exchange& fx() { return *fx_; }
  // CPU time the fake's thread has used so far, in nanoseconds.
  std::int64_t cpu_ns() const;

 private:
  net::io_context io_;
  std::unique_ptr<fake::fake_exchange> fx_;
  nlohmann::json ready_;
  std::thread thread_;
};

// Merges `patch` into a tenant document. Entities may be addressed by key instead of by array
// position: {"mailboxes": {"alice@…": {"imap_enabled": false}}, "apps": {"good": {…}}}; a null
// removes the entity, an unknown key adds it.
void patch_tenant(nlohmann::json& tenant, const nlohmann::json& patch);

}  // namespace mh::cli
