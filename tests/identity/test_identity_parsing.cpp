// The identity platform's parsers without sockets: form bodies, HTTP Basic, UTF-8, scope
// classification, time texts and the grant store.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "identity/grant_store.hpp"
#include "identity/http_form.hpp"
#include "identity/ids.hpp"
#include "identity/scopes.hpp"

using namespace mh;
using namespace mh::fake;

TEST(IdentityForm, ParsesStrictly) {
  auto f = parse_form("a=1&b=x+y&c=%2F%7E&d=&e");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->value("a"), "1");
  EXPECT_EQ(f->value("b"), "x y");
  EXPECT_EQ(f->value("c"), "/~");
  EXPECT_TRUE(f->has("d"));
  EXPECT_TRUE(f->has("e"));
  EXPECT_FALSE(f->has("z"));
  std::string why;
  for (const char* bad : {"a=%", "a=%4", "a=%G1", "a=1&a=2", "=x", "a=\x01", "a=%C3%28"})
    EXPECT_FALSE(parse_form(bad, &why)) << bad;
  std::string many;
  for (int i = 0; i <= 128; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_FALSE(parse_form(many, &why));
  EXPECT_NE(why.find("too many"), std::string::npos);
  EXPECT_EQ(url_encode("a b/~é"), "a%20b%2F~%C3%A9");
}

TEST(IdentityForm, Utf8AndBasicAuth) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  for (const char* bad : {"\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xFF", "\xE2\x82"})
    EXPECT_FALSE(valid_utf8(bad)) << bad;
  auto b = parse_basic_auth("Basic " + base64_encode("my%3Aid:s%2Bcret+x"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id, "my:id");
  EXPECT_EQ(b->secret, "s+cret x");
  EXPECT_TRUE(parse_basic_auth("basic " + base64_encode("a:b")));
  EXPECT_FALSE(parse_basic_auth("Bearer abc"));
  EXPECT_FALSE(parse_basic_auth("Basic !!!"));
  EXPECT_FALSE(parse_basic_auth("Basic " + base64_encode("no-colon")));
}

TEST(IdentityScopes, ClassifiesResourcesAndOidcNames) {
  auto s = parse_scopes("https://outlook.office.com/IMAP.AccessAsUser.All  offline_access OpenID");
  ASSERT_TRUE(std::holds_alternative<scope_set>(s));
  auto& v = std::get<scope_set>(s);
  EXPECT_EQ(v.kind, resource_kind::exchange);
  EXPECT_EQ(v.audience, "https://outlook.office.com");
  EXPECT_EQ(v.permissions, std::vector<std::string>{"IMAP.AccessAsUser.All"});
  EXPECT_TRUE(v.offline_access);
  EXPECT_TRUE(v.openid);
  EXPECT_EQ(v.oidc_names(), (std::vector<std::string>{"openid", "offline_access"}));

  auto bare = std::get<scope_set>(parse_scopes("IMAP.AccessAsUser.All"));
  EXPECT_EQ(bare.kind, resource_kind::graph);
  EXPECT_EQ(bare.audience, "https://graph.microsoft.com");
  auto slash = std::get<scope_set>(parse_scopes("HTTPS://Outlook.Office365.com//.default"));
  EXPECT_EQ(slash.audience, "https://outlook.office365.com");
  EXPECT_TRUE(slash.has_default);
  auto guid = std::get<scope_set>(parse_scopes("00000002-0000-0ff1-ce00-000000000000/.default"));
  EXPECT_EQ(guid.kind, resource_kind::exchange);
  auto oidc = std::get<scope_set>(parse_scopes("openid profile"));
  EXPECT_EQ(oidc.kind, resource_kind::graph);

  for (const char* bad : {"", "   ", "https://outlook.office.com/", "https://x", "a/b/c", "IMAP*All"})
    EXPECT_TRUE(std::holds_alternative<aad_error>(parse_scopes(bad))) << bad;
  EXPECT_EQ(std::get<aad_error>(parse_scopes("https://outlook.office.com/")).code, 70011);
}

TEST(IdentityScopes, ResourceAndClientCredentialRules) {
  tenant t;
  t.display_name = "Contoso";
  auto check = [&](const char* s) {
    auto e = check_resources(std::get<scope_set>(parse_scopes(s)), t);
    return e ? e->code : 0;
  };
  EXPECT_EQ(check("https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office365.com/SMTP.Send"), 0);
  EXPECT_EQ(check("https://outlook.office.com/IMAP.AccessAsUser.All User.Read"), 700022);
  EXPECT_EQ(check("https://example.com/.default"), 500011);
  EXPECT_EQ(check("https://outlook.office.com/.default https://outlook.office.com/SMTP.Send"), 70011);
  auto cc = [&](const char* s) {
    auto e = check_client_credentials(std::get<scope_set>(parse_scopes(s)));
    return e ? e->code : 0;
  };
  EXPECT_EQ(cc("https://outlook.office365.com/.default"), 0);
  EXPECT_EQ(cc("https://outlook.office365.com/.default offline_access"), 1002012);
  EXPECT_EQ(cc("https://outlook.office365.com/SMTP.SendAsApp"), 1002012);
}

TEST(IdentityIds, TimeTextsAndIds) {
  EXPECT_EQ(format_timestamp(1'700'000'000), "2023-11-14 22:13:20Z");
  EXPECT_EQ(format_iso(1'700'000'000), "2023-11-14T22:13:20.0000000Z");
  EXPECT_EQ(format_timespan(90 * 86400), "90.00:00:00");
  EXPECT_EQ(format_timespan(86400 + 3600 + 61), "1.01:01:01");
  EXPECT_TRUE(is_guid(random_guid()));
  EXPECT_FALSE(is_guid("not-a-guid"));
  EXPECT_FALSE(is_guid("6d2c4c8e-5b1e-4a36-9a5f-2f1e8d0b7c1g"));
  std::string code = random_user_code();
  EXPECT_EQ(code.size(), 9u);
  for (char c : code) EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  EXPECT_NE(random_token("0.A", 32), random_token("0.A", 32));
}

TEST(IdentityGrantStore, IndexesByHashAndFindsUserCodes) {
  grant_store s;
  refresh_record r;
  r.client_id = "c";
  std::string rt = s.add_refresh(r);
  ASSERT_NE(s.find_refresh(rt), nullptr);
  EXPECT_EQ(s.find_refresh(rt)->client_id, "c");
  EXPECT_EQ(s.find_refresh(rt + "x"), nullptr);
  device_record d;
  d.expires_at = 100;
  std::string dc = s.add_device(d, 0);
  std::string uc = s.find_device(dc)->user_code;
  std::string dashed = uc.substr(0, 4) + "-" + uc.substr(4);
  for (auto& ch : dashed) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(s.find_device_by_user_code(dashed), s.find_device(dc));
  code_record c;
  c.expires_at = 10;
  std::string code = s.add_code(c, 0);
  EXPECT_NE(s.find_code(code), nullptr);
  EXPECT_EQ(s.find_code("0.Anope"), nullptr);
}
