#include "core/base64.hpp"
#include "mail/auth_check.hpp"
#include "mail/sessions.hpp"

namespace mh::fake {

std::string greeting_blob(const std::string& fqdn) {
  std::string utf16;
  for (char c : fqdn) {
    utf16 += c;
    utf16 += '\0';
  }
  return base64_encode(utf16);
}

auth_result check_and_record(session_io& io, std::string_view mech, std::string_view payload,
                             bool initial_response) {
  auto& ctx = io.ctx();
  mail_protocol proto = io.protocol() == "imap"   ? mail_protocol::imap
                        : io.protocol() == "pop3" ? mail_protocol::pop3
                                                  : mail_protocol::smtp;
  std::int64_t now = ctx.now();
  auth_result r = check_mail_login(proto, mech, payload, ctx.t, ctx.key, now, ctx.verified.get());
  static const char* verdicts[] = {"ok", "failed", "not_connected", "smtp_disabled_tenant",
                                   "smtp_disabled_mailbox"};
  nlohmann::json e = {{"peer", io.peer()},
                      {"mechanism", std::string(mech)},
                      {"form", initial_response ? "initial-response" : "two-step"},
                      {"mailbox", r.mailbox},
                      {"principal", r.principal},
                      {"client_id", r.client_id},
                      {"app_only", r.app_only},
                      {"canonical", r.canonical},
                      {"verdict", verdicts[static_cast<int>(r.verdict)]},
                      {"reason", r.reason},
                      {"token", r.token_fp}};
  if (!r.deviation.empty()) e["deviation"] = r.deviation;
  if (r.expires) {
    e["token_remaining_s"] = r.expires - now;
    e["token_age_s"] = now - r.issued;
  }
  ctx.events.add(std::string(io.protocol()) + ".auth", std::move(e));
  return r;
}

}  // namespace mh::fake
