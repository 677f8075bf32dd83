// The tenant model: the demo tenant covers every broken step; bad tenant files are refused
// with file, line, column and field, and misspelt keys get a suggestion.
#include <gtest/gtest.h>

#include "tenant/tenant.hpp"

using namespace mh;
using namespace mh::fake;

TEST(Tenant, DemoTenantHasOneCompleteAppAndOneAppPerBrokenStep) {
  tenant t = demo_tenant();
  const app* good = t.find_app_by_key("good");
  ASSERT_TRUE(good);
  EXPECT_TRUE(good->breaks.empty());
  EXPECT_EQ(good->exchange, exchange_sp::registered);
  EXPECT_EQ(t.find_app_by_key("no-service-principal")->exchange, exchange_sp::absent);
  EXPECT_EQ(t.find_app_by_key("wrong-object-id")->exchange, exchange_sp::wrong_object_id);
  EXPECT_FALSE(t.find_app_by_key("no-consent")->admin_consent);
  EXPECT_TRUE(t.find_app_by_key("no-permission")->application_permissions.empty());
  EXPECT_LT(t.find_app_by_key("expired-secret")->secrets[0].expires, std::time(nullptr));
  EXPECT_FALSE(t.find_mailbox("imap-disabled@contoso.onmicrosoft.com")->imap_enabled);
  EXPECT_TRUE(t.smtp_auth_disabled_for(*t.find_mailbox("smtp-tenant-default@contoso.onmicrosoft.com")));
  EXPECT_FALSE(t.smtp_auth_disabled_for(*t.find_mailbox("alice@contoso.onmicrosoft.com")));
  // Principals by app key are resolved to client ids.
  const auto& fa = t.find_mailbox("alice@contoso.onmicrosoft.com")->full_access;
  EXPECT_NE(std::find(fa.begin(), fa.end(), good->client_id), fa.end());
  EXPECT_TRUE(t.matches("CONTOSO.onmicrosoft.com"));
  EXPECT_TRUE(t.matches(t.tenant_id));
}

TEST(Tenant, RoundTripsThroughJson) {
  tenant t = demo_tenant();
  tenant u = parse_tenant(tenant_to_json(t).dump(), "roundtrip.json");
  EXPECT_EQ(u.apps.size(), t.apps.size());
  EXPECT_EQ(u.mailboxes.size(), t.mailboxes.size());
  EXPECT_EQ(u.find_app_by_key("good")->secrets[0].value.reveal(),
            t.find_app_by_key("good")->secrets[0].value.reveal());
}

namespace {

config_error load_error(const std::string& text) {
  try {
    parse_tenant(text, "t.json");
  } catch (const config_error& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return config_error("", 0, 0, "", "");
}

}  // namespace

TEST(Tenant, UnknownKeyNamesLineColumnFieldAndSuggestion) {
  auto e = load_error("{\n  \"tenant_id\": \"x\",\n  \"domain\": \"d\",\n  \"apps\": [\n"
                      "    {\"key\": \"a\", \"client_id\": \"c\", \"app_object_id\": \"o\",\n"
                      "     \"sp_object_id\": \"s\", \"admin_consnet\": true}\n  ]\n}\n");
  EXPECT_EQ(e.file, "t.json");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.field, "/apps/0/admin_consnet");
  EXPECT_NE(std::string(e.what()).find("did you mean \"admin_consent\""), std::string::npos)
      << e.what();
}

TEST(Tenant, SyntaxErrorsHaveAPosition) {
  auto e = load_error("{\n  \"tenant_id\": \"x\",\n  \"domain\": \"d\"\n  \"apps\": []\n}");
  EXPECT_EQ(e.line, 4);
  EXPECT_NE(std::string(e.what()).find("t.json:4:"), std::string::npos) << e.what();
}

TEST(Tenant, TypeAndReferenceErrors) {
  auto wrong_type = load_error(R"({"tenant_id": 42, "domain": "d"})");
  EXPECT_EQ(wrong_type.field, "/tenant_id");
  auto missing = load_error(R"({"domain": "d"})");
  EXPECT_NE(std::string(missing.what()).find("tenant_id"), std::string::npos);
  auto perm = load_error(R"({"tenant_id":"x","domain":"d","apps":[{"key":"a","client_id":"c",
      "app_object_id":"o","sp_object_id":"s","application_permissions":["IMAP.AccesAsApp"]}]})");
  EXPECT_EQ(perm.field, "/apps/0/application_permissions/0");
  EXPECT_NE(std::string(perm.what()).find("IMAP.AccessAsApp"), std::string::npos);
  auto ref = load_error(R"({"tenant_id":"x","domain":"d","mailboxes":[{"address":"m@d",
      "full_access":["nobody"]}]})");
  EXPECT_EQ(ref.field, "/mailboxes/0/full_access/0");
  auto sp = load_error(R"({"tenant_id":"x","domain":"d","apps":[{"key":"a","client_id":"c",
      "app_object_id":"o","sp_object_id":"s","exchange_service_principal":"maybe"}]})");
  EXPECT_EQ(sp.field, "/apps/0/exchange_service_principal");
}

TEST(Tenant, CommentsAreAllowed) {
  tenant t = parse_tenant("// a comment\n{\"tenant_id\": \"x\", /* inline */ \"domain\": \"d\"}",
                          "c.json");
  EXPECT_EQ(t.domain, "d");
}

TEST(Tenant, FaultRulesAreValidatedOnLoad) {
  tenant t = parse_tenant(R"({"tenant_id":"x","domain":"d","faults":[
      {"protocol":"smtp","command":"AUTH","action":"reply","text":"454 4.7.0 Try later","times":2}]})",
                          "f.json");
  ASSERT_EQ(t.faults.size(), 1u);
  auto bad = load_error(R"({"tenant_id":"x","domain":"d","faults":[{"protocol":"imap","action":"explode"}]})");
  EXPECT_EQ(bad.field, "/faults/0");
  EXPECT_NE(std::string(bad.what()).find("action"), std::string::npos);
}
