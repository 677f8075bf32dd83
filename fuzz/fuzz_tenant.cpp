// Tenant files (fakes/tenant/tenant.hpp, fakes/tenant/TENANT.md): parse_tenant() either
// returns a tenant or throws tenant_error (config_error) naming the file. A tenant that
// parses round-trips: tenant_to_json -> parse_tenant -> tenant_to_json gives the same JSON
// (the fake's `--print-tenant` output must load back as the same tenant).
// fuzz-runs: 2500
#include <cstdint>
#include <string>

#include "loader_check.hpp"
#include "tenant/tenant.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = "fuzz-tenant.json";
  mh::fake::tenant t;
  if (!mh::fuzz::loads([&] { t = mh::fake::parse_tenant(mh::fuzz::text_of(data, size), file); }, file)) return 0;
  nlohmann::json first = mh::fake::tenant_to_json(t);
  const std::string again = "fuzz-tenant-printed.json";
  mh::fake::tenant t2;
  // The printed tenant must load: a config_error here is a failed round trip.
  try {
    t2 = mh::fake::parse_tenant(first.dump(2), again);
  } catch (const mh::config_error&) {
    __builtin_trap();
  }
  if (mh::fake::tenant_to_json(t2) != first) __builtin_trap();
  // Lookups over what was loaded find what was loaded.
  for (const auto& a : t.apps)
    if (!t.find_app_by_key(a.key) || !t.find_app(a.client_id)) __builtin_trap();
  for (const auto& m : t.mailboxes)
    if (!t.find_mailbox(m.address)) __builtin_trap();
  for (const auto& u : t.users)
    if (!t.find_user(u.upn)) __builtin_trap();
  if (!t.matches(t.tenant_id) || !t.matches(t.domain)) __builtin_trap();
  return 0;
}
