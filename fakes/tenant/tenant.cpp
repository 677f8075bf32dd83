#include "tenant/tenant.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cctype>

namespace mh::fake {
bool tenant::matches(std::string_view segment) const {
  return iequals(segment, tenant_id) || iequals(segment, domain);
}

const app* tenant::find_app(std::string_view client_id) const {
  for (const auto& a : apps)
    if (iequals(a.client_id, client_id)) return &a;
  return nullptr;
}

const app* tenant::find_app_by_key(std::string_view key) const {
  for (const auto& a : apps)
    if (a.key == key) return &a;
  return nullptr;
}

const user* tenant::find_user(std::string_view upn) const {
  for (const auto& u : users)
    if (iequals(u.upn, upn)) return &u;
  return nullptr;
}

const mailbox* tenant::find_mailbox(std::string_view address) const {
  for (const auto& m : mailboxes)
    if (iequals(m.address, address)) return &m;
  return nullptr;
}

mailbox* tenant::find_mailbox(std::string_view address) {
  for (auto& m : mailboxes)
    if (iequals(m.address, address)) return &m;
  return nullptr;
}

bool tenant::smtp_auth_disabled_for(const mailbox& m) const {
  return m.smtp_auth_disabled.value_or(smtp_client_auth_disabled);
}

}  // namespace mh::fake
