// The diagnosis engine (src/diagnose): for every broken step of the demo tenant, the exact
// evidence `mailharness run --id 'tenant.*'` records (replies and AADSTS answers copied from
// its report.json; claims as `mailharness token --decode` shows the fake's tokens) must name
// the right step with the remediation filled in; every other rule of rules.json is exercised
// by its own evidence; rules-file errors name file:line:column.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "core/json_doc.hpp"
#include "diagnose/diagnose.hpp"

using namespace mh;
using namespace mh::diagnose;
using nlohmann::json;

namespace {

const std::string tenant_id = "3f2a1c9e-7b4d-4e8a-9c61-2d5e8f0a7b13";
const std::string domain = "contoso.onmicrosoft.com";
const long long now = 1795919300;  // a few minutes after the tokens below were issued

std::string client_id(int n) {
  char b[40];
  std::snprintf(b, sizeof b, "a1b2c3d4-%04x-4000-8000-%012x", n, n);
  return b;
}
std::string sp_oid(int n) {
  char b[40];
  std::snprintf(b, sizeof b, "5b5b5b5b-%04x-4000-8000-00000000b%03x", n, n);
  return b;
}

// An app-only token of the fake (v1 claims, §7.3); `roles` absent when null.
json app_claims(int app, const json& roles) {
  json c = {{"aud", "https://outlook.office365.com"},
            {"iss", "https://sts.windows.net/" + tenant_id + "/"},
            {"iat", 1795918996},
            {"nbf", 1795918996},
            {"exp", 1795923939},
            {"appid", client_id(app)},
            {"appidacr", "1"},
            {"idtyp", "app"},
            {"oid", sp_oid(app)},
            {"sub", sp_oid(app)},
            {"tid", tenant_id},
            {"ver", "1.0"}};
  if (!roles.is_null()) c["roles"] = roles;
  return c;
}
const json all_roles = {"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"};

json user_claims(const std::string& upn, const std::string& scp) {
  return {{"aud", "https://outlook.office.com"},
          {"iss", "https://sts.windows.net/" + tenant_id + "/"},
          {"exp", 1795924164},
          {"appid", client_id(2)},
          {"idtyp", "user"},
          {"scp", scp},
          {"tid", tenant_id},
          {"upn", upn},
          {"unique_name", upn},
          {"ver", "1.0"}};
}
const std::string all_scopes = "IMAP.AccessAsUser.All offline_access POP.AccessAsUser.All SMTP.Send";

std::map<std::string, std::string> values_for(const std::string& mailbox, const std::string& client = {}) {
  std::map<std::string, std::string> v = {{"tenant", domain},
                                          {"tenant_id", tenant_id},
                                          {"mailbox", mailbox},
                                          {"user", mailbox},
                                          {"now", std::to_string(now)}};
  if (!client.empty()) v["client_id"] = client;
  return v;
}

// A failed login as the runner records it.
evidence login(std::string protocol, std::string phase, std::string code, std::string reply,
               std::optional<json> claims, std::string mailbox = "alice@" + domain, bool app_only = true) {
  evidence e;
  e.protocol = std::move(protocol);
  e.phase = std::move(phase);
  e.error_class = "rejected";
  e.error_code = std::move(code);
  e.reply = std::move(reply);
  e.claims = std::move(claims);
  e.app_only = app_only;
  e.values = values_for(mailbox);
  return e;
}

// A token request the endpoint refused.
evidence token(long status, std::string error, long long code, std::string description, bool app_only,
               std::string client = client_id(3)) {
  evidence e;
  e.protocol = "imap";
  e.phase = "token";
  e.error_class = "rejected";
  e.error_code = "token_request_denied";
  e.token_error = aad_evidence{status, std::move(error), code, std::move(description)};
  e.app_only = app_only;
  e.values = values_for("alice@" + domain, client);
  return e;
}

evidence failed(std::string cls, std::string code, std::string phase) {
  evidence e;
  e.protocol = "imap";
  e.phase = std::move(phase);
  e.error_class = std::move(cls);
  e.error_code = std::move(code);
  e.values = values_for("alice@" + domain);
  return e;
}

evidence with(evidence e, const std::string& key, const std::string& value) {
  e.values[key] = value;
  return e;
}

struct demo_case {
  std::string name;
  evidence e;
  std::string rule;
  std::vector<std::string> findings;  // all candidates, in order
};

const std::string imap_no = "A002 NO AUTHENTICATE failed.";
const std::string pop_err = "-ERR Authentication failure: unknown user name or bad password.";
const std::string smtp_535 = "535 5.7.3 Authentication unsuccessful [MHFAKE01CA0001.mailharness.invalid]";
const std::string not_connected = "A004 BAD User is authenticated but not connected.";
const std::vector<std::string> perm_or_consent = {"app-permission-missing", "admin-consent-missing"};
const std::vector<std::string> sp_candidates = {"service-principal-missing", "service-principal-wrong-object-id",
                                                "mailbox-fullaccess-missing"};
const std::vector<std::string> sp_candidates_pop = {"service-principal-missing", "service-principal-wrong-object-id",
                                                    "mailbox-fullaccess-missing", "pop-disabled"};

// An app-only login refused with the protocol's generic failure (exchange-facts §1.3, §2.3, §3.4).
evidence app_login(const std::string& proto, int app, const json& roles,
                   const std::string& mailbox = "alice@" + domain) {
  const std::string& reply = proto == "imap" ? imap_no : proto == "pop3" ? pop_err : smtp_535;
  return login(proto, "auth", "login_denied", reply, app_claims(app, roles), mailbox);
}

// SMTP AUTH switched off for the mailbox or the tenant (exchange-facts §3.4), as the fake says it.
evidence smtp_auth_disabled(const std::string& where, const std::string& mailbox) {
  return login(
      "smtp", "auth", "login_denied",
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the " + where +
          ". Visit https://aka.ms/smtp_auth_disabled for more information. [MHFAKE01CA0001.mailharness.invalid]",
      app_claims(1, all_roles), mailbox);
}

// Every broken step of fakes/tenant/demo-tenant.json, with the runner's exact evidence.
std::vector<demo_case> demo_cases() {
  std::string fa = "no-fullaccess@" + domain;
  return {
      {"app no-permission imap", app_login("imap", 3, nullptr), "auth-failed-no-roles", perm_or_consent},
      {"app no-permission pop3", app_login("pop3", 3, nullptr), "auth-failed-no-roles", perm_or_consent},
      {"app no-permission smtp", app_login("smtp", 3, nullptr), "auth-failed-no-roles", perm_or_consent},
      {"app no-consent imap", app_login("imap", 4, nullptr), "auth-failed-no-roles", perm_or_consent},
      {"app no-service-principal imap", app_login("imap", 5, all_roles), "auth-failed-role-ok", sp_candidates},
      {"app no-service-principal pop3", app_login("pop3", 5, all_roles), "auth-failed-role-ok-pop3",
       sp_candidates_pop},
      {"app no-service-principal smtp", app_login("smtp", 5, all_roles), "auth-failed-role-ok", sp_candidates},
      {"app wrong-object-id imap", app_login("imap", 6, all_roles), "auth-failed-role-ok", sp_candidates},
      {"app expired-secret",
       token(401, "invalid_client", 7000222,
             "AADSTS7000222: The provided client secret keys for app 'a1b2c3d4-0007-4000-8000-000000000007' are "
             "expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or "
             "consider using certificate credentials for added security: https://aka.ms/certCreds.",
             true, client_id(7)),
       "aadsts-7000222",
       {"secret-expired"}},
      {"app imap-only pop3", app_login("pop3", 8, json::array({"IMAP.AccessAsApp"})), "auth-failed-role-missing",
       perm_or_consent},
      {"app imap-only smtp", app_login("smtp", 8, json::array({"IMAP.AccessAsApp"})), "auth-failed-role-missing",
       perm_or_consent},
      {"mailbox imap-disabled",
       login("imap", "probe", "probe_denied", not_connected, app_claims(1, all_roles), "imap-disabled@" + domain),
       "not-connected-app-only",
       {"mailbox-fullaccess-missing", "imap-disabled", "mailbox-not-found"}},
      {"mailbox pop-disabled", app_login("pop3", 1, all_roles, "pop-disabled@" + domain), "auth-failed-role-ok-pop3",
       sp_candidates_pop},
      {"mailbox smtp-disabled",
       smtp_auth_disabled("Mailbox", "smtp-disabled@" + domain),
       "smtp-auth-disabled-mailbox",
       {"smtp-auth-disabled-mailbox"}},
      {"tenant smtp auth disabled",
       smtp_auth_disabled("Tenant", "smtp-tenant-default@" + domain),
       "smtp-auth-disabled-tenant",
       {"smtp-auth-disabled-tenant"}},
      {"mailbox no-fullaccess imap",
       login("imap", "probe", "probe_denied", not_connected, app_claims(1, all_roles), fa),
       "not-connected-app-only",
       {"mailbox-fullaccess-missing", "imap-disabled", "mailbox-not-found"}},
      {"mailbox no-fullaccess pop3", app_login("pop3", 1, all_roles, fa), "auth-failed-role-ok-pop3",
       sp_candidates_pop},
      {"user carol mfa",
       token(400, "invalid_grant", 50076,
             "Due to a configuration change made by your administrator, or because you moved to a new location, you "
             "must use multi-factor authentication to access 'https://outlook.office.com'.",
             false, client_id(2)),
       "aadsts-mfa",
       {"mfa-required"}},
      {"user dave conditional access",
       token(
           400, "invalid_grant", 53003,
           "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
           false, client_id(2)),
       "aadsts-53003",
       {"conditional-access-blocked"}},
      {"user erin disabled",
       token(400, "invalid_grant", 50057, "The user account is disabled.", false, client_id(2)),
       "aadsts-50057",
       {"account-disabled"}},
      {"app not-public",
       token(401, "invalid_client", 7000218,
             "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", false,
             client_id(9)),
       "aadsts-7000218-delegated",
       {"public-client-flows-disabled"}},
      {"app delegated-no-consent",
       token(400, "invalid_grant", 65001,
             "The user or administrator has not consented to use the application with ID "
             "'a1b2c3d4-000a-4000-8000-00000000000a' named 'Public client whose delegated permissions lack consent'. "
             "Send an interactive authorization request for this user and resource.",
             false, client_id(10)),
       "aadsts-65001-delegated",
       {"consent-missing"}},
  };
}

// One piece of evidence for each remaining rule: rule id -> evidence.
std::vector<std::pair<std::string, evidence>> other_cases() {
  std::string shared = "shared@" + domain, alice = "alice@" + domain;
  auto deleg = [&](std::string proto, std::string reply, json claims, std::string mailbox) {
    evidence e = login(std::move(proto), "auth", "login_denied", std::move(reply), std::move(claims), mailbox, false);
    return e;
  };
  json graph = user_claims(alice, all_scopes);
  graph["aud"] = "https://graph.microsoft.com";
  json app_graph = app_claims(1, all_roles);
  app_graph["aud"] = "00000003-0000-0000-c000-000000000000";
  json foreign = app_claims(1, all_roles);
  foreign["tid"] = "99999999-0000-4000-8000-000000000000";
  json expired = app_claims(1, all_roles);
  expired["exp"] = now - 60;
  auto smtp_probe = [&](std::string reply) {
    return login("smtp", "probe", "probe_denied", std::move(reply), app_claims(1, all_roles));
  };
  auto pop_protocol = login("pop3", "auth", "login_denied", "-ERR Protocol error. Connection is closed. 10",
                            app_claims(1, all_roles));
  return {
      {"aadsts-7000215", token(401, "invalid_client", 7000215, "Invalid client secret provided.", true)},
      {"aadsts-7000218-app", token(401, "invalid_client", 7000218, "", true)},
      {"aadsts-700025", token(401, "invalid_client", 700025, "", false)},
      {"aadsts-700027", token(401, "invalid_client", 700027, "", true)},
      {"aadsts-700024", token(401, "invalid_client", 700024, "", true)},
      {"aadsts-700016", token(400, "unauthorized_client", 700016, "", true)},
      {"aadsts-tenant", token(400, "invalid_tenant", 90002, "", true)},
      {"aadsts-common-endpoint", token(400, "invalid_request", 9001023, "", true)},
      {"aadsts-500011", token(400, "invalid_resource", 500011, "", true)},
      {"aadsts-70011", token(400, "invalid_scope", 70011, "", false)},
      {"aadsts-1002012", token(400, "invalid_scope", 1002012, "", true)},
      {"aadsts-mixed-scopes", token(400, "invalid_request", 700022, "", false)},
      {"aadsts-65001-app", token(400, "invalid_grant", 65001, "", true)},
      {"aadsts-650057", token(401, "invalid_client", 650057, "", true)},
      {"aadsts-declined", token(400, "access_denied", 65004, "", false)},
      {"oauth-declined", token(400, "authorization_declined", 0, "", false)},
      {"aadsts-530035", token(400, "invalid_grant", 530035, "", false)},
      {"aadsts-50126", token(400, "invalid_grant", 50126, "", false)},
      {"aadsts-50034", token(400, "invalid_grant", 50034, "", false)},
      {"aadsts-50053", token(400, "invalid_grant", 50053, "", false)},
      {"aadsts-50055", token(400, "invalid_grant", 50055, "", false)},
      {"aadsts-refresh", token(400, "invalid_grant", 700082, "", false)},
      {"aadsts-device-code", token(400, "expired_token", 70019, "", false)},
      {"oauth-device-code-expired", token(400, "expired_token", 0, "", false)},
      {"aadsts-client-bug", token(400, "invalid_grant", 54005, "", false)},
      {"aadsts-50011", token(400, "invalid_request", 50011, "", false)},
      {"token-endpoint-busy", token(429, "", 0, "", true)},
      {"token-endpoint-temporarily-unavailable", token(400, "temporarily_unavailable", 0, "", true)},
      {"token-bad-response", failed("protocol", "bad_token_response", "token")},
      {"token-refused-other", token(400, "invalid_request", 12345678, "Something new.", true)},
      {"smtp-5.7.139-policy",
       login("smtp", "auth", "login_denied",
             "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated "
             "successfully. Contact your administrator. [AM0PR02CA0134.eurprd02.prod.outlook.com]",
             std::nullopt)},
      {"basic-auth-refused", login("imap", "auth", "login_denied", "A003 NO LOGIN failed.", std::nullopt)},
      {"imap-token-expired-mid-session",
       login("imap", "probe", "session_closed_by_peer", "* BYE Session invalidated - AccessTokenExpired",
             app_claims(1, all_roles))},
      {"pop-protocol-error-initial-response", with(pop_protocol, "sasl_form", "initial-response")},
      {"pop-protocol-error-two-step", with(pop_protocol, "sasl_form", "two-step")},
      {"pop-protocol-error", pop_protocol},
      {"smtp-send-as", smtp_probe("550 5.7.60 SMTP; Client does not have permissions to send as this sender")},
      {"smtp-not-authenticated", smtp_probe("530 5.7.57 Client not authenticated to send mail.")},
      {"smtp-unrecognized-auth-type",
       login("smtp", "auth", "login_denied", "504 5.7.4 Unrecognized authentication type [X.PROD.OUTLOOK.COM]",
             std::nullopt)},
      {"smtp-sender-thread-limit",
       smtp_probe("432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded [Hostname=X.prod.outlook.com]")},
      {"smtp-legacy-tls",
       login("smtp", "greeting", "greeting_refused",
             "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. "
             "Visit https://aka.ms/smtp_auth_tls. [MAXPR0101CA0021.INDPRD01.PROD.OUTLOOK.COM]",
             std::nullopt)},
      {"smtp-transient", smtp_probe("451 4.7.0 Temporary server error. Please try again later. PRX4")},
      {"smtp-recipient-quota",
       login("smtp", "send", "command_rejected",
             "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", app_claims(1, all_roles))},
      {"mechanism-unavailable-smtp", login("smtp", "auth", "mech_unavailable", "", std::nullopt)},
      {"mechanism-unavailable", login("imap", "auth", "mech_unavailable", "", std::nullopt)},
      {"not-connected-delegate", login("imap", "probe", "probe_denied", not_connected,
                                       user_claims("bob@" + domain, all_scopes), shared, false)},
      {"not-connected-delegated",
       login("imap", "probe", "probe_denied", not_connected, user_claims(alice, all_scopes), alice, false)},
      {"auth-failed-wrong-tenant", login("imap", "auth", "login_denied", imap_no, foreign)},
      {"auth-failed-app-audience", login("smtp", "auth", "login_denied", smtp_535, app_graph)},
      {"auth-failed-delegated-audience", deleg("imap", imap_no, graph, alice)},
      {"auth-failed-expired", login("imap", "auth", "login_denied", imap_no, expired)},
      {"auth-failed-scope-missing",
       deleg("smtp", smtp_535, user_claims(alice, "IMAP.AccessAsUser.All offline_access"), alice)},
      {"auth-failed-smtp-other-user", deleg("smtp", smtp_535, user_claims(alice, all_scopes), shared)},
      {"auth-failed-delegate-other-mailbox", deleg("pop3", pop_err, user_claims(alice, all_scopes), shared)},
      {"auth-failed-role-ok-sp-known",
       with(app_login("smtp", 1, all_roles, "no-fullaccess@" + domain), "app_authenticated_elsewhere", "true")},
      {"auth-failed-role-ok-pop3-sp-known",
       with(app_login("pop3", 1, all_roles, "pop-disabled@" + domain), "app_authenticated_elsewhere", "true")},
      {"auth-failed-delegated-ok", deleg("imap", imap_no, user_claims(alice, all_scopes), alice)},
      {"auth-failed-delegated-ok-pop3", deleg("pop3", pop_err, user_claims(alice, all_scopes), alice)},
      {"auth-failed-app-no-claims", login("imap", "auth", "login_denied", imap_no, std::nullopt)},
      {"auth-failed-delegated-no-claims", deleg("smtp", smtp_535, nullptr, alice)},
      {"tls-untrusted", failed("tls", "cert_untrusted", "tls")},
      {"tls-hostname", failed("tls", "cert_hostname_mismatch", "tls")},
      {"tls-handshake", failed("tls", "tls_handshake_failed", "tls")},
      {"unreachable", failed("connect", "connect_refused", "connect")},
      {"timeout", failed("timeout", "timed_out", "greeting")},
      {"unrecognised",
       login("imap", "auth", "login_denied", "A002 NO [UNAVAILABLE] Backend unavailable", std::nullopt)},
  };
}

const std::regex unfilled(R"(\{[a-z_0-9]+\})");

// What every finding must satisfy, whatever the evidence.
void expect_well_formed(const diagnosis& d, const evidence& e, const std::string& what) {
  ASSERT_FALSE(d.empty()) << what;
  for (const auto& f : d.findings) {
    for (const auto* text : {&f.title, &f.step, &f.explanation, &f.remediation, &f.distinguish})
      EXPECT_FALSE(std::regex_search(*text, unfilled)) << what << ": unfilled placeholder in " << *text;
    EXPECT_FALSE(f.remediation.empty()) << what;
    EXPECT_FALSE(f.source.empty()) << what;
    EXPECT_TRUE(f.confidence == "high" || f.confidence == "medium" || f.confidence == "low") << what;
    if (!e.reply.empty()) {
      EXPECT_EQ(f.remediation.find(e.reply), std::string::npos) << what;
    }
    if (d.findings.size() > 1) {
      EXPECT_FALSE(f.distinguish.empty()) << what;
    }
  }
}

std::vector<std::string> ids(const diagnosis& d) {
  std::vector<std::string> out;
  for (const auto& f : d.findings) out.push_back(f.id);
  return out;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST(Diagnose, BuiltinRulesParse) {
  rulebook b = rulebook::builtin();
  EXPECT_GT(b.size(), 50u);
  EXPECT_EQ(b.rule_ids().back(), "unrecognised");  // the catch-all is tried last
}

TEST(Diagnose, EveryBrokenStepOfTheDemoTenant) {
  rulebook b = rulebook::builtin();
  for (const auto& c : demo_cases()) {
    diagnosis d = b.diagnose(c.e);
    expect_well_formed(d, c.e, c.name);
    if (d.empty()) continue;
    EXPECT_EQ(d.findings.front().rule, c.rule) << c.name;
    EXPECT_EQ(ids(d), c.findings) << c.name;
  }
}

TEST(Diagnose, RemediationIsExactAndFilled) {
  rulebook b = rulebook::builtin();
  auto first = [&](const evidence& e) { return b.diagnose(e).findings.at(0); };
  auto demo = demo_cases();
  auto by_name = [&](const std::string& n) {
    for (const auto& c : demo)
      if (c.name == n) return c.e;
    ADD_FAILURE() << n;
    return evidence{};
  };

  // A2/A3: the permission named for the protocol; the admin-consent URL.
  auto perm = first(by_name("app imap-only pop3"));
  EXPECT_EQ(perm.title, "The app lacks the POP.AccessAsApp application permission");
  EXPECT_TRUE(contains(perm.explanation, "the token's roles are [IMAP.AccessAsApp], without POP.AccessAsApp"));
  EXPECT_TRUE(contains(perm.remediation, "Office 365 Exchange Online > Application permissions > POP.AccessAsApp"));
  EXPECT_TRUE(contains(perm.remediation,
                       "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?"
                       "client_id=a1b2c3d4-0008-4000-8000-000000000008"));
  auto consent = b.diagnose(by_name("app no-consent imap")).findings.at(1);
  EXPECT_EQ(consent.id, "admin-consent-missing");
  EXPECT_TRUE(
      contains(consent.remediation, "az ad app permission admin-consent --id a1b2c3d4-0004-4000-8000-000000000004"));

  // A5: the token's oid is the Enterprise application's Object ID; the warning is there.
  auto sp = first(by_name("app no-service-principal imap"));
  EXPECT_TRUE(contains(sp.remediation,
                       "New-ServicePrincipal -AppId a1b2c3d4-0005-4000-8000-000000000005 "
                       "-ObjectId 5b5b5b5b-0005-4000-8000-00000000b005\n"));
  EXPECT_TRUE(contains(sp.remediation, "Object ID of the Enterprise application"));
  EXPECT_TRUE(contains(sp.remediation, "NOT the Object ID on the App registration's page"));
  EXPECT_TRUE(contains(sp.distinguish, "Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId"));
  EXPECT_TRUE(contains(sp.distinguish, "Get-MailboxPermission -Identity alice@contoso.onmicrosoft.com"));
  auto wrong = b.diagnose(by_name("app wrong-object-id imap")).findings.at(1);
  EXPECT_EQ(wrong.id, "service-principal-wrong-object-id");
  EXPECT_TRUE(contains(wrong.remediation,
                       "Remove-ServicePrincipal -Identity <ObjectId that Get-ServicePrincipal "
                       "shows for this AppId>\nNew-ServicePrincipal -AppId "
                       "a1b2c3d4-0006-4000-8000-000000000006 -ObjectId "
                       "5b5b5b5b-0006-4000-8000-00000000b006"));

  // A6, D6, D7.
  auto fa = first(by_name("mailbox no-fullaccess imap"));
  EXPECT_TRUE(contains(fa.remediation,
                       "Add-MailboxPermission -Identity no-fullaccess@contoso.onmicrosoft.com "
                       "-User 5b5b5b5b-0001-4000-8000-00000000b001 -AccessRights FullAccess"));
  auto imap_off = b.diagnose(by_name("mailbox imap-disabled")).findings.at(1);
  EXPECT_TRUE(contains(imap_off.remediation,
                       "Set-CASMailbox -Identity imap-disabled@contoso.onmicrosoft.com -ImapEnabled $true"));
  auto pop_off = b.diagnose(by_name("mailbox pop-disabled")).findings.at(3);
  EXPECT_TRUE(contains(pop_off.remediation,
                       "Set-CASMailbox -Identity pop-disabled@contoso.onmicrosoft.com -PopEnabled $true"));
  auto smtp_mbx = first(by_name("mailbox smtp-disabled"));
  EXPECT_TRUE(contains(
      smtp_mbx.remediation,
      "Set-CASMailbox -Identity smtp-disabled@contoso.onmicrosoft.com -SmtpClientAuthenticationDisabled $false"));
  EXPECT_EQ(smtp_mbx.confidence, "high");
  auto smtp_tenant = first(by_name("tenant smtp auth disabled"));
  EXPECT_TRUE(contains(smtp_tenant.remediation, "Set-TransportConfig -SmtpClientAuthenticationDisabled $false"));
  EXPECT_TRUE(contains(smtp_tenant.remediation,
                       "Set-CASMailbox -Identity smtp-tenant-default@contoso.onmicrosoft.com "
                       "-SmtpClientAuthenticationDisabled $false"));

  // A1 secrets, D1 public client, D3 consent, D8 MFA / CA, account.
  auto secret = first(by_name("app expired-secret"));
  EXPECT_TRUE(
      contains(secret.remediation, "az ad app credential reset --id a1b2c3d4-0007-4000-8000-000000000007 --append"));
  auto secret_id = first(token(401, "invalid_client", 7000215, "", true));
  EXPECT_TRUE(contains(secret_id.explanation, "\"Secret ID\" instead of its \"Value\""));
  auto pub = first(by_name("app not-public"));
  EXPECT_TRUE(contains(pub.remediation, "Allow public client flows: Yes"));
  EXPECT_TRUE(
      contains(pub.remediation,
               "az ad app update --id a1b2c3d4-0009-4000-8000-000000000009 --is-fallback-public-client true"));
  auto d3 = first(by_name("app delegated-no-consent"));
  EXPECT_TRUE(contains(d3.remediation,
                       "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?"
                       "client_id=a1b2c3d4-000a-4000-8000-00000000000a"));
  EXPECT_TRUE(contains(first(by_name("user carol mfa")).remediation, "--flow device-code"));
  EXPECT_TRUE(contains(first(by_name("user dave conditional access")).remediation, "Sign-in logs"));
  EXPECT_TRUE(contains(first(by_name("user erin disabled")).remediation,
                       "az ad user update --id alice@contoso.onmicrosoft.com --account-enabled true"));

  // A4 scope and audience, A7 Send As, POP initial response.
  auto others = other_cases();
  auto other = [&](const std::string& rule) {
    for (const auto& [r, e] : others)
      if (r == rule) return first(e);
    ADD_FAILURE() << rule;
    return finding{};
  };
  EXPECT_TRUE(
      contains(other("auth-failed-app-audience").remediation, "scope=https://outlook.office365.com/.default"));
  EXPECT_TRUE(contains(other("auth-failed-app-audience").explanation, "00000003-0000-0000-c000-000000000000"));
  EXPECT_TRUE(
      contains(other("auth-failed-delegated-audience").remediation,
               "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/POP.AccessAsUser.All "
               "https://outlook.office.com/SMTP.Send offline_access"));
  EXPECT_TRUE(contains(other("aadsts-1002012").remediation, "https://outlook.office365.com/.default"));
  EXPECT_TRUE(contains(other("smtp-send-as").remediation,
                       "Add-RecipientPermission -Identity alice@contoso.onmicrosoft.com -Trustee "
                       "5b5b5b5b-0001-4000-8000-00000000b001 -AccessRights SendAs"));
  EXPECT_TRUE(contains(other("pop-protocol-error").remediation, "wait for `+ `, then send"));
  EXPECT_TRUE(contains(other("auth-failed-smtp-other-user").remediation,
                       "Add-RecipientPermission -Identity shared@contoso.onmicrosoft.com -Trustee "
                       "alice@contoso.onmicrosoft.com -AccessRights SendAs"));
  EXPECT_EQ(other("mechanism-unavailable").id, "mechanism-not-offered");
  EXPECT_TRUE(contains(other("mechanism-unavailable").explanation, "OAUTHBEARER is not offered"));
}

TEST(Diagnose, AmbiguousEvidenceListsCandidatesWithWhatTellsThemApart) {
  rulebook b = rulebook::builtin();
  std::vector<std::pair<std::string, evidence>> all = other_cases();
  for (const auto& c : demo_cases()) all.emplace_back(c.name, c.e);
  for (const auto& [name, e] : all) {
    diagnosis d = b.diagnose(e);
    if (d.findings.size() < 2) continue;
    for (const auto& f : d.findings) {
      EXPECT_EQ(f.distinguish, d.findings.front().distinguish) << name;
      EXPECT_NE(f.confidence, "high") << name << " " << f.id;  // a candidate is never certain
    }
  }
  // The same POP3 answer with the hint that the app logged in elsewhere narrows it down.
  evidence e = app_login("pop3", 1, all_roles, "pop-disabled@" + domain);
  e.values["app_authenticated_elsewhere"] = "true";
  EXPECT_EQ(ids(b.diagnose(e)),
            (std::vector<std::string>{"mailbox-fullaccess-missing", "pop-disabled", "mailbox-not-found"}));
}

TEST(Diagnose, PassingLoginHasNoFinding) {
  rulebook b = rulebook::builtin();
  evidence e;
  e.protocol = "imap";
  e.claims = app_claims(8, json::array({"IMAP.AccessAsApp"}));
  EXPECT_TRUE(b.diagnose(e).empty());
  e.error_class = "none";
  e.error_code = "ok";
  EXPECT_TRUE(b.diagnose(e).empty());
}

TEST(Diagnose, UnknownEvidenceIsALowConfidenceFindingQuotingTheReply) {
  rulebook b = rulebook::builtin();
  diagnosis d =
      b.diagnose(login("imap", "auth", "login_denied", "A002 NO [UNAVAILABLE] Backend unavailable", std::nullopt));
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].id, "unrecognised-answer");
  EXPECT_EQ(d.findings[0].confidence, "low");
  EXPECT_TRUE(contains(d.findings[0].explanation, "`A002 NO [UNAVAILABLE] Backend unavailable`"));
  EXPECT_TRUE(contains(d.findings[0].explanation, "phase auth"));
  // An unknown AADSTS code: the answer is quoted, the code looked up.
  diagnosis t = b.diagnose(token(400, "invalid_request", 12345678, "Something new.", true));
  EXPECT_EQ(t.findings.at(0).id, "token-request-refused");
  EXPECT_TRUE(contains(t.findings[0].explanation, "`AADSTS12345678 invalid_request (HTTP 400): Something new.`"));
  EXPECT_TRUE(contains(t.findings[0].remediation, "https://login.microsoftonline.com/error?code=12345678"));
}

TEST(Diagnose, QuotedEvidenceNeverCarriesATokenAndRemediationNeverQuotes) {
  rulebook b = rulebook::builtin();
  const std::string jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJl";
  const std::string sasl = "dXNlcj1hbGljZUBjb250b3NvLmNvbQFhdXRoPUJlYXJlciB0b2tlbgEB";
  for (const auto& reply :
       {"A002 NO AUTHENTICATE failed: " + jwt, "A002 BAD echo " + sasl, "A002 NO auth=Bearer " + jwt.substr(0, 20)}) {
    evidence e = login("imap", "auth", "login_denied", reply, std::nullopt);
    diagnosis d = b.diagnose(e);
    ASSERT_FALSE(d.empty());
    for (const auto& f : d.findings) {
      std::string all = f.title + f.step + f.explanation + f.remediation + f.distinguish;
      EXPECT_FALSE(contains(all, jwt.substr(0, 30))) << all;
      EXPECT_FALSE(contains(all, sasl.substr(0, 20))) << all;
      EXPECT_TRUE(contains(f.explanation, "<redacted>")) << f.explanation;
    }
  }
  evidence t = token(400, "invalid_grant", 99999, "bad token " + jwt, true);
  std::string all = to_json(b.diagnose(t)).dump();
  EXPECT_FALSE(contains(all, jwt.substr(0, 30))) << all;
}

TEST(Diagnose, LongRepliesAreScrubbedWithoutOverflowingTheStack) {  // found by fuzz_rules
  rulebook b = rulebook::builtin();
  const std::string tail(60000, 'a');
  for (const auto& reply : {"A002 NO Bearer " + tail, "A002 NO eyJ" + tail + "." + tail}) {
    diagnosis d = b.diagnose(login("imap", "auth", "login_denied", reply, std::nullopt));
    ASSERT_FALSE(d.empty());
    EXPECT_FALSE(contains(d.findings[0].explanation, tail.substr(0, 16)));  // the credential is cut out
  }
  EXPECT_FALSE(b.diagnose(login("smtp", "auth", "login_denied", "432 4.3.2 " + tail, std::nullopt)).empty());
}

TEST(Diagnose, UnknownValuesShowAsLabels) {
  rulebook b = rulebook::builtin();
  evidence e = app_login("imap", 5, all_roles);
  e.values.clear();  // nothing known but the claims
  auto f = b.diagnose(e).findings.at(0);
  // client_id and the service principal come from the claims; the mailbox is unknown.
  EXPECT_TRUE(contains(f.remediation,
                       "New-ServicePrincipal -AppId a1b2c3d4-0005-4000-8000-000000000005 -ObjectId "
                       "5b5b5b5b-0005-4000-8000-00000000b005"));
  EXPECT_TRUE(contains(f.remediation, "Add-MailboxPermission -Identity <mailbox address>"));
  EXPECT_TRUE(contains(f.remediation, "Connect-ExchangeOnline -Organization " + tenant_id));  // from tid
  evidence none = login("imap", "auth", "login_denied", imap_no, std::nullopt);
  none.values.clear();
  auto g = b.diagnose(none).findings.at(1);
  EXPECT_EQ(g.id, "app-permission-missing");
  EXPECT_TRUE(contains(g.remediation,
                       "https://login.microsoftonline.com/<tenant ID or domain>/adminconsent?"
                       "client_id=<Application (client) ID>"));
  // A custom authority (sovereign cloud) is used, without a trailing slash.
  none.values["authority"] = "https://login.microsoftonline.us/";
  EXPECT_TRUE(contains(b.diagnose(none).findings.at(1).remediation, "https://login.microsoftonline.us/<tenant"));
}

TEST(Diagnose, EveryRuleIsExercised) {
  rulebook b = rulebook::builtin();
  std::set<std::string> hit;
  for (const auto& c : demo_cases()) {
    auto d = b.diagnose(c.e);
    if (!d.empty()) hit.insert(d.findings.front().rule);
  }
  for (const auto& [rule, e] : other_cases()) {
    diagnosis d = b.diagnose(e);
    expect_well_formed(d, e, rule);
    if (d.empty()) continue;
    EXPECT_EQ(d.findings.front().rule, rule);
    hit.insert(d.findings.front().rule);
  }
  for (const auto& id : b.rule_ids()) EXPECT_TRUE(hit.count(id)) << "rule " << id << " is exercised by no test";
}

TEST(Diagnose, FindingsAsJson) {
  rulebook b = rulebook::builtin();
  json j = to_json(b.diagnose(demo_cases().front().e));
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["id"], "app-permission-missing");
  EXPECT_EQ(j[0]["rule"], "auth-failed-no-roles");
  for (const auto* k : {"title", "step", "explanation", "remediation", "source", "confidence", "distinguish"})
    EXPECT_TRUE(j[0].contains(k)) << k;
}

// ---- rules file errors ----

namespace {

// A minimal valid rules file; tests break one thing at a time.
std::string mini(const std::string& match, const std::string& remediation = "Do {x}.",
                 const std::string& extra_rule = "") {
  return "{\n"
         "  \"format\": \"mailharness.rules/1\",\n"
         "  \"placeholders\": {\"x\": {\"label\": \"thing\"}, \"reply\": {\"label\": \"reply\", \"evidence\": "
         "true}},\n"
         "  \"findings\": {\n"
         "    \"f\": {\"title\": \"T\", \"step\": \"S\", \"explanation\": \"E {reply}\",\n"
         "          \"remediation\": \"" +
         remediation +
         "\", \"source\": \"src\", \"confidence\": \"low\"}\n"
         "  },\n"
         "  \"rules\": [\n"
         "    {\"id\": \"r\", \"match\": " +
         match + ", \"findings\": [\"f\"]}" + extra_rule +
         "\n"
         "  ]\n"
         "}\n";
}

std::string error_of(const std::string& text) {
  try {
    rulebook::parse(text, "my-rules.json");
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(DiagnoseRulesFile, MinimalFileWorks) {
  rulebook b = rulebook::parse(mini(R"({"reply": {"regex": "^NO "}})"), "my-rules.json");
  ASSERT_EQ(b.size(), 1u);
  evidence e = login("imap", "auth", "login_denied", "A1 NO nope", std::nullopt);
  e.values["x"] = "it";
  auto d = b.diagnose(e);
  ASSERT_EQ(d.findings.size(), 1u);
  EXPECT_EQ(d.findings[0].remediation, "Do it.");
  EXPECT_EQ(d.findings[0].explanation, "E A1 NO nope");
  e.values.erase("x");
  EXPECT_EQ(b.diagnose(e).findings.at(0).remediation, "Do <thing>.");
  EXPECT_TRUE(b.diagnose(login("imap", "auth", "login_denied", "A1 BAD no", std::nullopt)).empty());
}

TEST(DiagnoseRulesFile, ErrorsNameFileLineColumnAndKey) {
  // Line 9 holds the rule; the position is that of the offending value (or of its key).
  EXPECT_EQ(error_of(mini(R"({"phsae": "auth"})")),
            "my-rules.json:9:36: /rules/0/match/phsae: unknown key \"phsae\" (did you mean \"phase\"?)");
  std::string bad_regex = error_of(mini(R"({"reply": {"regex": "(unclosed"}})"));
  EXPECT_EQ(bad_regex.rfind("my-rules.json:9:46: /rules/0/match/reply/regex: bad regex \"(unclosed\"", 0), 0u)
      << bad_regex;
  EXPECT_EQ(error_of(mini(R"({"phase": "authh"})")),
            "my-rules.json:9:36: /rules/0/match/phase: unknown value \"authh\" (did you mean \"auth\"?)");
  EXPECT_EQ(error_of(mini(R"({"error_code": "login_denid"})")),
            "my-rules.json:9:41: /rules/0/match/error_code: unknown value \"login_denid\" (did you mean "
            "\"login_denied\"?)");
  EXPECT_EQ(error_of(mini("{}", "Do {y}.")),
            "my-rules.json:6:26: /findings/f/remediation: unknown placeholder {y} (did you mean {x}?); "
            "declare it under /placeholders");
  EXPECT_EQ(error_of(mini("{}", "Paste {reply}.")),
            "my-rules.json:6:26: /findings/f/remediation: {reply} quotes evidence: allowed in \"observed\" and "
            "\"explanation\" only");
  EXPECT_EQ(error_of(mini("{}", "Do {x.")).find("my-rules.json:6:26: /findings/f/remediation: bad placeholder"), 0u);
  EXPECT_EQ(error_of(mini(R"({"reply": {"set": "nope"}})")),
            "my-rules.json:9:44: /rules/0/match/reply/set: unknown reply set \"nope\"");
  EXPECT_EQ(error_of(mini(R"({"claims": {"roles": false}})")),
            "my-rules.json:9:38: /rules/0/match/claims/roles: unknown key \"roles\"");
  EXPECT_EQ(error_of(mini("{}", "Do {x}.", R"(,
    {"id": "r2", "match": {}, "findings": ["f", "g"]})")),
            "my-rules.json:10:49: /rules/1/findings/1: unknown finding \"g\" (did you mean \"f\"?)");
  EXPECT_EQ(error_of(mini("{}", "Do {x}.", R"(,
    {"id": "r2", "match": {}, "findings": ["f", "f"]})")),
            "my-rules.json:10:5: /rules/1: a rule with several candidate findings needs \"distinguish\": what tells "
            "them apart");
  EXPECT_EQ(error_of(mini("{}", "Do {x}.", R"(,
    {"id": "r2", "match": {}, "findings": ["f", "f"], "distinguish": "d", "confidence": "high"})")),
            "my-rules.json:10:89: /rules/1/confidence: candidates are never certain: give \"confidence\" as "
            "\"medium\" or \"low\" (one, or one per finding)");
  EXPECT_EQ(error_of(mini("{}", "Do {x}.", R"(,
    {"id": "r", "match": {}, "findings": ["f"]})")),
            "my-rules.json:10:12: /rules/1/id: duplicate rule id \"r\"");
  std::string fmt = mini("{}");
  fmt.replace(fmt.find("rules/1"), 7, "rules/2");
  EXPECT_EQ(error_of(fmt), "my-rules.json:2:13: /format: expected \"mailharness.rules/1\"");
  EXPECT_EQ(error_of("{\n  \"format\": \"mailharness.rules/1\",\n  \"rules\": [\n").rfind("my-rules.json:4:1: ", 0),
            0u);
}

TEST(DiagnoseRulesFile, UnusedFindingsAndUnreadableFilesAreErrors) {
  std::string text = mini("{}");
  text.replace(text.find("  },\n  \"rules\""), 4,
               "  ,\"unused\": {\"title\": \"T\", \"step\": \"S\", \"explanation\": \"E\", \"remediation\": \"R\", "
               "\"source\": \"s\", \"confidence\": \"low\"}\n  },");
  EXPECT_NE(error_of(text).find("/findings/unused: finding \"unused\" is not used by any rule"), std::string::npos)
      << error_of(text);
  EXPECT_THROW(rulebook::load("/nonexistent/rules.json"), config_error);
}
