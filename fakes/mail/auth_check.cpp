#include "mail/auth_check.hpp"

#include <algorithm>
#include <cctype>

#include "core/redact.hpp"
#include "sasl/decode.hpp"
#include "core/text.hpp"

namespace mh::fake {
namespace {

// The audiences the Exchange Online resource answers to (exchange-facts §7.2).
bool exchange_audience(std::string_view aud) {
  for (std::string_view a : {"https://outlook.office365.com", "https://outlook.office365.com/",
                             "https://outlook.office.com", "https://outlook.office.com/",
                             "https://ps.outlook.com", "https://ps.outlook.com/",
                             "00000002-0000-0ff1-ce00-000000000000"})
    if (iequals(a, aud)) return true;
  return false;
}

std::string_view needed_role(mail_protocol p) {
  switch (p) {
    case mail_protocol::imap: return "IMAP.AccessAsApp";
    case mail_protocol::pop3: return "POP.AccessAsApp";
    case mail_protocol::smtp: return "SMTP.SendAsApp";
  }
  return "";
}

std::string_view needed_scope(mail_protocol p) {
  switch (p) {
    case mail_protocol::imap: return "IMAP.AccessAsUser.All";
    case mail_protocol::pop3: return "POP.AccessAsUser.All";
    case mail_protocol::smtp: return "SMTP.Send";
  }
  return "";
}

bool has_word(const std::string& space_separated, std::string_view word) {
  std::size_t i = 0;
  while (i < space_separated.size()) {
    std::size_t j = space_separated.find(' ', i);
    if (j == std::string::npos) j = space_separated.size();
    if (std::string_view(space_separated).substr(i, j - i) == word) return true;
    i = j + 1;
  }
  return false;
}

bool has_role(const nlohmann::json& claims, std::string_view role) {
  auto it = claims.find("roles");
  if (it == claims.end() || !it->is_array()) return false;
  for (const auto& r : *it)
    if (r.is_string() && r.get<std::string>() == role) return true;
  return false;
}

bool listed(const std::vector<std::string>& list, std::string_view who) {
  for (const auto& x : list)
    if (iequals(x, who)) return true;
  return false;
}

std::string claim(const nlohmann::json& c, const char* name) {
  auto it = c.find(name);
  return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_claim(const nlohmann::json& c, const char* name) {
  auto it = c.find(name);
  return it != c.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

auth_result fail(auth_result r, std::string why) {
  r.verdict = auth_verdict::failed;
  r.reason = std::move(why);
  return r;
}

}  // namespace

std::string_view mail_protocol_name(mail_protocol p) {
  switch (p) {
    case mail_protocol::imap: return "imap";
    case mail_protocol::pop3: return "pop3";
    case mail_protocol::smtp: return "smtp";
  }
  return "imap";
}

bool verified_tokens::contains(std::string_view token) const {
  std::lock_guard l(mu_);
  return tokens_.count(std::string(token)) > 0;
}

void verified_tokens::add(std::string_view token) {
  std::lock_guard l(mu_);
  if (tokens_.size() >= max_entries) tokens_.clear();
  tokens_.emplace(token);
}

auth_result check_mail_login(mail_protocol proto, std::string_view mech, std::string_view payload,
                             const tenant& t, const jwt::verify_key& key, std::int64_t now,
                             verified_tokens* verified) {
  auth_result r;
  auto decoded = iequals(mech, "OAUTHBEARER") ? sasl::decode_oauthbearer(payload)
                                              : sasl::decode_xoauth2(payload);
  if (!decoded) return fail(r, "the " + std::string(mech) + " payload is malformed");
  r.mailbox = decoded->user;
  r.canonical = decoded->canonical;
  r.deviation = decoded->deviation;
  r.token_fp = fingerprint(decoded->token);

  std::string why;
  auto tok = jwt::decode(decoded->token, &why);
  if (!tok) return fail(r, "the token is not a JWT issued by this tenant: " + why);
  std::string_view raw = decoded->token;
  if (!verified || !verified->contains(raw)) {
    if (!jwt::verify(*tok, key)) return fail(r, "the token signature does not verify");
    if (verified) verified->add(raw);
  }
  const auto& c = tok->claims;
  r.expires = int_claim(c, "exp");
  r.issued = int_claim(c, "iat");
  // Who presented it, known from here on (also for expired tokens: the event log needs it).
  std::string scp = claim(c, "scp");
  r.client_id = claim(c, "appid");
  r.app_only = scp.empty();
  r.principal = r.app_only ? r.client_id : claim(c, "upn");
  if (r.expires == 0 || now >= r.expires) return fail(r, "the token has expired");
  if (int_claim(c, "nbf") > now + 300) return fail(r, "the token is not valid yet");
  std::string aud = claim(c, "aud");
  if (!exchange_audience(aud))
    return fail(r, "audience \"" + aud + "\" is not Exchange Online (wrong scope?)");
  if (!iequals(claim(c, "tid"), t.tenant_id) ||
      claim(c, "iss") != "https://sts.windows.net/" + t.tenant_id + "/")
    return fail(r, "the token was issued for another tenant");

  const mailbox* box = t.find_mailbox(decoded->user);
  if (r.app_only) {
    const std::string& appid = r.client_id;
    const app* a = t.find_app(appid);
    if (!a) return fail(r, "unknown application " + appid);
    if (!has_role(c, needed_role(proto)))
      return fail(r, "the app-only token has no " + std::string(needed_role(proto)) + " role");
    if (a->exchange == exchange_sp::absent)
      return fail(r, "no Exchange service principal for the app (New-ServicePrincipal not run)");
    if (a->exchange == exchange_sp::wrong_object_id)
      return fail(r, "the Exchange service principal was registered with the App-registration "
                     "Object ID, not the Enterprise application's");
    if (!box) return fail(r, "no mailbox " + decoded->user);
    if (!listed(box->full_access, a->client_id)) {
      r.reason = "the app's service principal has no FullAccess on " + box->address;
      r.verdict = proto == mail_protocol::imap ? auth_verdict::not_connected : auth_verdict::failed;
      return r;
    }
  } else {
    const std::string& upn = r.principal;
    if (!has_word(scp, needed_scope(proto)))
      return fail(r, "the delegated token's scp lacks " + std::string(needed_scope(proto)));
    if (!box) return fail(r, "no mailbox " + decoded->user);
    bool own = iequals(upn, box->address);
    if (!own) {
      // SMTP: user= must be the signed-in user (shared mailboxes need Send As instead).
      if (proto == mail_protocol::smtp)
        return fail(r, "user= " + box->address + " is not the signed-in user " + upn);
      if (!listed(box->full_access, upn)) {
        r.reason = upn + " has no FullAccess on " + box->address;
        r.verdict = proto == mail_protocol::imap ? auth_verdict::not_connected : auth_verdict::failed;
        return r;
      }
    }
  }
  switch (proto) {
    case mail_protocol::imap:
      if (!box->imap_enabled) {
        r.verdict = auth_verdict::not_connected;
        r.reason = "IMAP is disabled for " + box->address + " (Set-CASMailbox -ImapEnabled $false)";
        return r;
      }
      break;
    case mail_protocol::pop3:
      if (!box->pop_enabled)
        return fail(r, "POP is disabled for " + box->address + " (Set-CASMailbox -PopEnabled $false)");
      break;
    case mail_protocol::smtp:
      if (box->smtp_auth_disabled.value_or(false)) {
        r.verdict = auth_verdict::smtp_disabled_mailbox;
        r.reason = "SMTP AUTH is disabled for the mailbox " + box->address;
        return r;
      }
      if (!box->smtp_auth_disabled && t.smtp_client_auth_disabled) {
        r.verdict = auth_verdict::smtp_disabled_tenant;
        r.reason = "SMTP AUTH is disabled for the tenant and the mailbox has no override";
        return r;
      }
      break;
  }
  r.verdict = auth_verdict::ok;
  r.reason = "ok";
  return r;
}

bool may_send_as(const tenant& t, const std::string& principal, const std::string& from) {
  if (iequals(principal, from)) return true;
  const mailbox* box = t.find_mailbox(from);
  return box && listed(box->send_as, principal);
}

}  // namespace mh::fake
