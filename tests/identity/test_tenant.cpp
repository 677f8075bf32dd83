#include "test_tenant.hpp"

#include "jwt/jwt.hpp"

namespace mh::test::idp {
namespace {

fake::app base_app(const char* key, const char* client_id, int n) {
  fake::app a;
  a.key = key;
  a.display_name = std::string("mailharness ") + key;
  a.client_id = client_id;
  a.app_object_id = "aa00000" + std::to_string(n) + "-0000-4000-8000-000000000000";
  a.sp_object_id = "bb00000" + std::to_string(n) + "-0000-4000-8000-000000000000";
  a.delegated_permissions = {"IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send",
                             "offline_access"};
  a.redirect_uris = {"http://localhost"};
  return a;
}

fake::user make_user(const char* upn, const char* name, const char* password, int n) {
  fake::user u;
  u.upn = upn;
  u.display_name = name;
  u.object_id = "cc00000" + std::to_string(n) + "-0000-4000-8000-000000000000";
  u.password = secret_string(password);
  return u;
}

}  // namespace

fake::tenant make_test_tenant(const std::string& client_cert_pem) {
  fake::tenant t;
  t.tenant_id = tenant_id;
  t.domain = domain;
  t.display_name = "Contoso";

  fake::app good = base_app("good", good_app, 1);
  good.app_object_id = good_app_object;
  good.sp_object_id = good_sp;
  good.secrets.push_back({good_secret_id, secret_string(good_secret), 0});
  good.secrets.push_back({"e1d2c3b4-a596-4877-8695-a4b3c2d1e0f9", secret_string(expired_secret),
                          1'600'000'000});
  if (!client_cert_pem.empty())
    good.certificates.push_back({client_cert_pem, jwt::x5t_sha1(client_cert_pem),
                                 jwt::x5t_sha256(client_cert_pem), 0});
  good.application_permissions = {"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"};
  good.redirect_uris = {good_redirect, "http://localhost"};
  t.apps.push_back(good);

  fake::app pub = base_app("public", public_app, 2);
  pub.public_client = true;
  t.apps.push_back(pub);

  fake::app no_consent = base_app("no-consent", no_consent_app, 3);
  no_consent.public_client = true;
  no_consent.admin_consent = false;
  no_consent.secrets.push_back({"f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0b", secret_string(good_secret), 0});
  no_consent.application_permissions = {"IMAP.AccessAsApp"};
  no_consent.breaks = "admin consent";
  t.apps.push_back(no_consent);

  fake::app no_perms = base_app("no-perms", no_perms_app, 4);
  no_perms.public_client = true;
  no_perms.delegated_permissions = {"offline_access"};
  no_perms.breaks = "delegated permissions";
  t.apps.push_back(no_perms);

  t.users.push_back(make_user(alice, "Alice Example", alice_password, 1));
  fake::user b = make_user(bob, "Bob Example", user_password, 2);
  b.mfa_required = true;
  t.users.push_back(b);
  fake::user c = make_user(carol, "Carol Example", user_password, 3);
  c.blocked_by_conditional_access = true;
  t.users.push_back(c);
  fake::user d = make_user(dave, "Dave Example", user_password, 4);
  d.enabled = false;
  t.users.push_back(d);
  return t;
}

}  // namespace mh::test::idp
