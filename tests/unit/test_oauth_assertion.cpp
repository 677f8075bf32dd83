// Certificate client assertions (header, claims, signature), certificate file loading, and
// the mail-use inspection of access tokens (--decode).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/base64.hpp"
#include "jwt/jwt.hpp"
#include "net/pki.hpp"
#include "oauth/assertion.hpp"
#include "oauth/token_inspect.hpp"

using namespace mh;
using namespace mh::oauth;

namespace {

struct material {
  std::string dir, cert_file, key_file, cert_pem, key_pem;
  static const material& get() {
    static const material m = [] {
      material x;
      char t[] = "/tmp/mh-assert-XXXXXX";
      x.dir = ::mkdtemp(t);
      pki::make_ca(x.dir, "client", {"assertion test", pki::key_type::rsa2048});
      x.cert_file = x.dir + "/client.pem";
      x.key_file = x.dir + "/client-key.pem";
      auto rd = [](const std::string& p) {
        std::ifstream f(p);
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
      };
      x.cert_pem = rd(x.cert_file);
      x.key_pem = rd(x.key_file);
      // Removed at exit; the path lives in a plain array (the callback outlives `m`).
      static char dir[64];
      std::snprintf(dir, sizeof dir, "%s", x.dir.c_str());
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      });
      return x;
    }();
    return m;
  }
};

std::string fake_jwt(const nlohmann::json& claims) {
  return base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." + base64url_encode(claims.dump()) + ".c2ln";
}

const char* aud_endpoint = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";

}  // namespace

TEST(OauthAssertion, Ps256HeaderClaimsAndSignature) {
  const auto& m = material::get();
  std::string why;
  auto c = load_certificate(m.cert_file, m.key_file, &why);
  ASSERT_TRUE(c) << why;
  auto a = make_client_assertion(*c, "client-1", aud_endpoint, 1'700'000'000, &why);
  ASSERT_TRUE(a) << why;
  auto t = jwt::decode(a->reveal());
  ASSERT_TRUE(t);
  EXPECT_EQ(t->header["alg"], "PS256");
  EXPECT_EQ(t->header["typ"], "JWT");
  EXPECT_EQ(t->header["x5t#S256"], jwt::x5t_sha256(m.cert_pem));
  EXPECT_FALSE(t->header.contains("x5t"));
  EXPECT_EQ(t->claims["aud"], aud_endpoint);
  EXPECT_EQ(t->claims["iss"], "client-1");
  EXPECT_EQ(t->claims["sub"], "client-1");
  EXPECT_EQ(t->claims["nbf"], 1'700'000'000);
  EXPECT_EQ(t->claims["exp"], 1'700'000'600);
  EXPECT_TRUE(std::regex_match(t->claims["jti"].get<std::string>(),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  auto key = jwt::verify_key::from_pem(m.cert_pem);
  ASSERT_TRUE(key);
  EXPECT_TRUE(jwt::verify(*t, *key));
  // jti differs per assertion (replay protection).
  auto b = make_client_assertion(*c, "client-1", aud_endpoint, 1'700'000'000, &why);
  EXPECT_NE(jwt::decode(b->reveal())->claims["jti"], t->claims["jti"]);
}

TEST(OauthAssertion, Rs256CarriesX5t) {
  const auto& m = material::get();
  std::string why;
  // One PEM file holding key and certificate (AZURE_CLIENT_CERTIFICATE_PATH).
  std::string both = m.dir + "/both.pem";
  std::ofstream(both) << m.key_pem << m.cert_pem;
  auto c = load_certificate(both, "", &why);
  ASSERT_TRUE(c) << why;
  c->alg = "RS256";
  auto a = make_client_assertion(*c, "client-1", aud_endpoint, 1'700'000'000, &why);
  ASSERT_TRUE(a) << why;
  auto t = jwt::decode(a->reveal());
  EXPECT_EQ(t->header["alg"], "RS256");
  EXPECT_EQ(t->header["x5t"], jwt::x5t_sha1(m.cert_pem));
  EXPECT_EQ(t->header["x5t#S256"], jwt::x5t_sha256(m.cert_pem));
  EXPECT_TRUE(jwt::verify(*t, *jwt::verify_key::from_pem(m.cert_pem)));
  c->alg = "HS256";
  EXPECT_FALSE(make_client_assertion(*c, "client-1", aud_endpoint, 0, &why));
  EXPECT_NE(why.find("PS256 or RS256"), std::string::npos);
}

TEST(OauthAssertion, BadCertificateFiles) {
  const auto& m = material::get();
  std::string why;
  EXPECT_FALSE(load_certificate(m.dir + "/missing.pem", "", &why));
  EXPECT_NE(why.find("missing.pem"), std::string::npos) << why;
  EXPECT_FALSE(load_certificate(m.cert_file, "", &why));  // certificate only, no key
  EXPECT_NE(why.find("no unencrypted PEM private key"), std::string::npos) << why;
  EXPECT_FALSE(load_certificate(m.key_file, "", &why));   // key only
  EXPECT_NE(why.find("no PEM certificate"), std::string::npos) << why;
  // The key text never appears in an error.
  EXPECT_EQ(why.find("PRIVATE KEY-----\nMI"), std::string::npos);
}

TEST(OauthInspect, AppOnlyTokenGoodForAllThree) {
  auto t = fake_jwt({{"aud", "https://outlook.office365.com/"}, {"tid", "6d2c4c8e-5b1e-4a36-9a5f-2f1e8d0b7c11"},
                     {"roles", {"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"}},
                     {"exp", 10'000}, {"nbf", 0}});
  auto r = inspect_token(t, 5000, "6D2C4C8E-5B1E-4A36-9A5F-2F1E8D0B7C11");
  ASSERT_TRUE(r.is_jwt);
  EXPECT_TRUE(r.all_ok());
  EXPECT_EQ(r.protocols, (std::vector<std::string>{"IMAP", "POP3", "SMTP"}));
  EXPECT_EQ(r.seconds_left, 5000);
  EXPECT_FALSE(r.to_json().dump().find("c2ln") != std::string::npos);  // no signature
}

TEST(OauthInspect, DelegatedAudiencesAndFailures) {
  for (const char* aud : {"https://outlook.office.com", "https://outlook.office.com/", "https://ps.outlook.com",
                          "00000002-0000-0ff1-ce00-000000000000", "HTTPS://OUTLOOK.OFFICE365.COM"})
    EXPECT_TRUE(is_exchange_audience(aud)) << aud;
  for (const char* aud : {"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000", ""})
    EXPECT_FALSE(is_exchange_audience(aud)) << aud;

  auto smtp_only = inspect_token(
      fake_jwt({{"aud", "https://outlook.office.com"}, {"scp", "email openid SMTP.Send offline_access"},
                {"tid", "t"}, {"exp", 100'000}}),
      0, "");
  EXPECT_TRUE(smtp_only.all_ok());
  EXPECT_EQ(smtp_only.protocols, std::vector<std::string>{"SMTP"});

  auto graph = inspect_token(
      fake_jwt({{"aud", "https://graph.microsoft.com"}, {"scp", "Mail.Read"}, {"tid", "6d2c4c8e-5b1e-4a36-9a5f-2f1e8d0b7c11"},
                {"exp", 100}}),
      200, "11111111-2222-4333-8444-555555555555");
  EXPECT_FALSE(graph.all_ok());
  ASSERT_EQ(graph.checks.size(), 4u);
  for (const auto& c : graph.checks) EXPECT_FALSE(c.ok) << c.name << ": " << c.detail;
  EXPECT_NE(graph.checks[3].detail.find("expired"), std::string::npos);

  auto opaque = inspect_token("EwBoA+l3BAAUabc/def=", 0, "");
  EXPECT_FALSE(opaque.is_jwt);
  EXPECT_NE(opaque.opaque_reason.find("opaque"), std::string::npos);
  EXPECT_FALSE(opaque.to_json()["jwt"].get<bool>());
}
