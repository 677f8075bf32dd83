// The tenant model of the fake Exchange Online (DESIGN §4). It mirrors the real setup chain
// so that every missing step produces the exact behaviour Exchange and Entra show:
//   app registration (client id, App-registration object id, enterprise-app object id,
//   secrets with expiry, certificates, public-client flag, redirect URIs), API permissions
//   (application and delegated), admin consent, the Exchange service principal
//   (New-ServicePrincipal: absent, or registered with the wrong Object ID), users (password,
//   MFA, Conditional Access), mailboxes (IMAP/POP switches, SMTP AUTH override, FullAccess
//   and SendAs grants), tenant switches (SMTP AUTH, security defaults) and token policy.
// The file format is documented in fakes/tenant/TENANT.md; loading errors name the file,
// line, column and field.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_doc.hpp"
#include "core/secret.hpp"

namespace mh::fake {

using unix_time = std::int64_t;  // seconds since the epoch; 0 = never

struct client_secret {
  std::string id;          // the secret's ID (what admins paste by mistake: AADSTS7000215)
  secret_string value;
  unix_time expires = 0;   // AADSTS7000222 once passed
};

struct client_certificate {
  std::string pem;         // the public certificate (PEM)
  std::string x5t;         // base64url SHA-1 thumbprint (derived on load)
  std::string x5t_s256;    // base64url SHA-256 thumbprint (derived on load)
  unix_time expires = 0;
};

enum class exchange_sp {
  registered,       // New-ServicePrincipal -AppId <client id> -ObjectId <enterprise app object id>
  absent,           // never registered in Exchange
  wrong_object_id,  // registered with the App-registration Object ID (a common mistake)
};

struct app {
  std::string key;            // short name ("good", "no-consent"), unique in the tenant
  std::string display_name;
  std::string client_id;      // Application (client) ID
  std::string app_object_id;  // Object ID of the App registration
  std::string sp_object_id;   // Object ID of the Enterprise application (service principal)
  std::vector<client_secret> secrets;
  std::vector<client_certificate> certificates;
  bool public_client = false;           // "Allow public client flows"
  std::vector<std::string> redirect_uris;
  std::vector<std::string> application_permissions;  // IMAP.AccessAsApp, POP.AccessAsApp, SMTP.SendAsApp
  std::vector<std::string> delegated_permissions;    // IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send, offline_access
  bool admin_consent = true;
  exchange_sp exchange = exchange_sp::registered;
  std::string breaks;  // the setup step this app leaves out (demo tenant), empty when complete
};

struct user {
  std::string upn;
  std::string object_id;
  std::string display_name;
  secret_string password;
  bool enabled = true;
  bool mfa_required = false;                  // AADSTS50076 for ROPC
  bool blocked_by_conditional_access = false; // AADSTS53003
  std::string breaks;
};

struct seed_message {
  std::string from;
  std::string subject;
  std::string body;
};

struct mailbox {
  std::string address;
  std::string display_name;
  bool shared = false;
  bool imap_enabled = true;                 // Set-CASMailbox -ImapEnabled
  bool pop_enabled = true;                  // Set-CASMailbox -PopEnabled
  std::optional<bool> smtp_auth_disabled;   // Set-CASMailbox -SmtpClientAuthenticationDisabled ($null = tenant)
  std::vector<std::string> full_access;     // principals: user UPNs or app client ids
  std::vector<std::string> send_as;         // principals allowed to send as this address
  std::vector<seed_message> messages;
  std::string breaks;
};

struct token_policy {
  int lifetime_min_s = 3600;   // access-token lifetime drawn uniformly in [min, max]
  int lifetime_max_s = 5400;   // (Entra: random 60-90 minutes)
  bool strict_refresh_rotation = false;  // old refresh tokens die when rotated
  int refresh_inactivity_s = 90 * 86400; // AADSTS700082 after this much idleness
};

struct tenant {
  std::string tenant_id;
  std::string domain;          // contoso.onmicrosoft.com
  std::string display_name;
  bool smtp_client_auth_disabled = false;  // Set-TransportConfig -SmtpClientAuthenticationDisabled
  bool security_defaults = false;
  bool imap_login_disabled = false;        // advertise LOGINDISABLED (exchange-facts §1.2)
  token_policy tokens;
  std::vector<app> apps;
  std::vector<user> users;
  std::vector<mailbox> mailboxes;
  // Mail fault rules active from the start (fakes/mail/faults.hpp), validated on load.
  nlohmann::json faults = nlohmann::json::array();

  // `segment` is the {tenant} of a URL: the tenant id or the domain (case-insensitive).
  bool matches(std::string_view segment) const;
  const app* find_app(std::string_view client_id) const;
  const app* find_app_by_key(std::string_view key) const;
  const user* find_user(std::string_view upn) const;
  const mailbox* find_mailbox(std::string_view address) const;
  mailbox* find_mailbox(std::string_view address);
  // Whether SMTP AUTH is off for this mailbox (mailbox override wins over the tenant).
  bool smtp_auth_disabled_for(const mailbox& m) const;
};

// A tenant file error: file, line, column and field (JSON pointer, e.g. /apps/2/client_id).
using tenant_error = config_error;

// The built-in demo tenant: one complete app, users and mailboxes, and one app, user or
// mailbox per broken setup step (DESIGN §4, issue 3).
tenant demo_tenant();

// Loads a tenant file (JSON with comments). Throws tenant_error.
tenant load_tenant_file(const std::string& path);
tenant parse_tenant(std::string_view text, const std::string& file_name);

// The tenant as a tenant file (JSON). Secrets and passwords are included: the file is the
// fake's own configuration (`mailharness fake --print-tenant`).
nlohmann::json tenant_to_json(const tenant& t);

}  // namespace mh::fake
