// mh::jwt: RS256/PS256 round trips, tampering, wrong keys, refused algorithms, opaque
// tokens, JWK round trip, certificate thumbprints against hashes of the DER computed here.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base64.hpp"
#include "jwt/jwt.hpp"
#include "net/pki.hpp"

using namespace mh;

namespace {

// One key for the whole suite: RSA generation is the slow part.
const jwt::signing_key& key() {
  static const jwt::signing_key k = jwt::signing_key::generate();
  return k;
}

const jwt::signing_key& other_key() {
  static const jwt::signing_key k = jwt::signing_key::generate();
  return k;
}

nlohmann::json header(const char* alg) { return {{"typ", "JWT"}, {"alg", alg}, {"kid", "k1"}}; }
const nlohmann::json claims = {{"aud", "https://outlook.office365.com"}, {"tid", "t"}};

std::string replace_part(const std::string& token, int index, const std::string& part) {
  auto d1 = token.find('.');
  auto d2 = token.find('.', d1 + 1);
  std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1),
                          token.substr(d2 + 1)};
  parts[index] = part;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

bool verifies(const std::string& token, const jwt::verify_key& k) {
  auto t = jwt::decode(token);
  return t && jwt::verify(*t, k);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The DER of a PEM certificate, decoded by hand (the body between the armour lines).
std::string pem_body_der(const std::string& pem) {
  auto begin = pem.find("-----BEGIN CERTIFICATE-----");
  auto end = pem.find("-----END CERTIFICATE-----");
  std::string b64;
  for (char c : pem.substr(begin + 27, end - begin - 27))
    if (c != '\n' && c != '\r') b64 += c;
  return base64_decode(b64).value_or("");
}

struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/mh-jwt-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

}  // namespace

TEST(Jwt, Rs256RoundTrip) {
  auto token = jwt::encode(header("RS256"), claims, key());
  auto t = jwt::decode(token);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->header["alg"], "RS256");
  EXPECT_EQ(t->claims["aud"], "https://outlook.office365.com");
  EXPECT_EQ(t->signature.size(), 256u);
  EXPECT_TRUE(jwt::verify(*t, key().public_key()));
}

TEST(Jwt, Ps256RoundTrip) {
  auto token = jwt::encode(header("PS256"), claims, key());
  EXPECT_TRUE(verifies(token, key().public_key()));
  // PSS is randomised: two signatures over the same input differ, both verify.
  auto again = jwt::encode(header("PS256"), claims, key());
  EXPECT_NE(token, again);
  EXPECT_TRUE(verifies(again, key().public_key()));
}

TEST(Jwt, OrderedEncodingKeepsMemberOrder) {
  nlohmann::ordered_json h = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5t", "a"}, {"kid", "a"}};
  nlohmann::ordered_json c = {{"aud", "x"}, {"iss", "y"}};
  auto token = jwt::encode(h, c, key());
  auto head = base64url_decode(token.substr(0, token.find('.')));
  EXPECT_EQ(*head, R"({"typ":"JWT","alg":"RS256","x5t":"a","kid":"a"})");
  EXPECT_TRUE(verifies(token, key().public_key()));
}

TEST(Jwt, TamperedPayloadOrSignatureFails) {
  for (const char* alg : {"RS256", "PS256"}) {
    auto token = jwt::encode(header(alg), claims, key());
    auto forged = replace_part(token, 1, base64url_encode(R"({"aud":"https://graph.microsoft.com"})"));
    EXPECT_FALSE(verifies(forged, key().public_key())) << alg;
    auto t = jwt::decode(token);
    ASSERT_TRUE(t);
    t->signature[10] ^= 0x01;
    EXPECT_FALSE(jwt::verify(*t, key().public_key())) << alg;
    t->signature.clear();
    EXPECT_FALSE(jwt::verify(*t, key().public_key())) << alg;
  }
}

TEST(Jwt, WrongKeyFails) {
  auto token = jwt::encode(header("RS256"), claims, key());
  EXPECT_FALSE(verifies(token, other_key().public_key()));
  token = jwt::encode(header("PS256"), claims, key());
  EXPECT_FALSE(verifies(token, other_key().public_key()));
}

TEST(Jwt, AlgNoneAndUnknownAlgorithmsAreRejected) {
  auto token = jwt::encode(header("RS256"), claims, key());
  for (const char* alg : {"none", "HS256", "RS512", "ES256", ""}) {
    auto forged = replace_part(token, 0, base64url_encode(header(alg).dump()));
    EXPECT_FALSE(verifies(forged, key().public_key())) << alg;
    EXPECT_FALSE(key().public_key().verify(alg, "x", "y")) << alg;
  }
  // alg "none" with an empty signature, the classic forgery.
  std::string none = base64url_encode(header("none").dump()) + "." +
                     base64url_encode(claims.dump()) + ".";
  auto t = jwt::decode(none);
  ASSERT_TRUE(t);
  EXPECT_FALSE(jwt::verify(*t, key().public_key()));
  EXPECT_THROW(jwt::encode(header("none"), claims, key()), std::invalid_argument);
  // An RS256 signature presented as PS256 (and vice versa) does not verify.
  EXPECT_FALSE(verifies(replace_part(token, 0, base64url_encode(header("PS256").dump())),
                        key().public_key()));
}

TEST(Jwt, OpaqueAndMalformedTokensDecodeToNulloptWithAReason) {
  std::string why;
  EXPECT_FALSE(jwt::decode("EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA", &why));
  EXPECT_NE(why.find("opaque"), std::string::npos) << why;
  EXPECT_FALSE(jwt::decode("EwBoA+l3BAAU/xyz=", &why));
  EXPECT_FALSE(jwt::decode("a.b", &why));
  EXPECT_NE(why.find("three"), std::string::npos) << why;
  EXPECT_FALSE(jwt::decode("a.b.c.d", &why));
  EXPECT_FALSE(jwt::decode("!!!.e30.", &why));
  EXPECT_NE(why.find("header"), std::string::npos) << why;
  EXPECT_FALSE(jwt::decode(base64url_encode("[1,2]") + ".e30.", &why));  // not an object
  EXPECT_FALSE(jwt::decode("e30." + base64url_encode("\"str\"") + ".", &why));
  EXPECT_NE(why.find("claims"), std::string::npos) << why;
  EXPECT_FALSE(jwt::decode("e30.e30.***", &why));
  EXPECT_NE(why.find("signature"), std::string::npos) << why;
  EXPECT_FALSE(jwt::decode(std::string(70000, 'a') + ".e30.", &why));
  EXPECT_NE(why.find("64 KiB"), std::string::npos) << why;
  EXPECT_TRUE(jwt::decode("e30.e30."));  // empty objects, empty signature: decodes
}

TEST(Jwt, JwkRoundTripVerifiesWhatTheSigningKeySigned) {
  auto jwk = key().public_jwk("kid-1");
  EXPECT_EQ(jwk["kty"], "RSA");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["kid"], "kid-1");
  EXPECT_EQ(jwk["e"], "AQAB");
  EXPECT_EQ(base64url_decode(jwk["n"].get<std::string>())->size(), 256u);
  auto vk = jwt::verify_key::from_jwk(jwk);
  ASSERT_TRUE(vk);
  EXPECT_TRUE(verifies(jwt::encode(header("RS256"), claims, key()), *vk));
  EXPECT_TRUE(verifies(jwt::encode(header("PS256"), claims, key()), *vk));
  EXPECT_FALSE(verifies(jwt::encode(header("RS256"), claims, other_key()), *vk));
  // Malformed JWKs are refused, not crashed on.
  EXPECT_FALSE(jwt::verify_key::from_jwk(nlohmann::json::array()));
  EXPECT_FALSE(jwt::verify_key::from_jwk({{"kty", "EC"}, {"n", jwk["n"]}, {"e", "AQAB"}}));
  EXPECT_FALSE(jwt::verify_key::from_jwk({{"kty", "RSA"}, {"n", "***"}, {"e", "AQAB"}}));
  EXPECT_FALSE(jwt::verify_key::from_jwk({{"kty", "RSA"}, {"n", 5}, {"e", "AQAB"}}));
  EXPECT_FALSE(jwt::verify_key::from_jwk({{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}}));  // tiny
}

TEST(Jwt, PemRoundTrips) {
  auto again = jwt::signing_key::from_pem(key().private_pem());
  EXPECT_EQ(again.public_pem(), key().public_pem());
  auto vk = jwt::verify_key::from_pem(key().public_pem());
  ASSERT_TRUE(vk);
  EXPECT_TRUE(verifies(jwt::encode(header("RS256"), claims, again), *vk));
  EXPECT_THROW(jwt::signing_key::from_pem("not a key"), std::runtime_error);
  EXPECT_FALSE(jwt::verify_key::from_pem("not a key"));
}

TEST(Jwt, ThumbprintsAndCertificateKeysMatchTheDer) {
  temp_dir d;
  pki::make_ca(d.path, "signer", {"thumbprint test", pki::key_type::rsa2048});
  std::string pem = read_file(d.path + "/signer.pem");
  std::string der = pem_body_der(pem);
  ASSERT_FALSE(der.empty());
  EXPECT_EQ(jwt::cert_der(pem), der);

  std::array<unsigned char, SHA_DIGEST_LENGTH> s1{};
  std::array<unsigned char, SHA256_DIGEST_LENGTH> s256{};
  auto bytes = reinterpret_cast<const unsigned char*>(der.data());
  SHA1(bytes, der.size(), s1.data());
  SHA256(bytes, der.size(), s256.data());
  auto as_view = [](const auto& a) {
    return std::string_view(reinterpret_cast<const char*>(a.data()), a.size());
  };
  EXPECT_EQ(jwt::x5t_sha1(pem), base64url_encode(as_view(s1)));
  EXPECT_EQ(jwt::x5t_sha256(pem), base64url_encode(as_view(s256)));

  // The same value as `openssl x509 -fingerprint -sha1` prints, when the tool is present.
  if (std::filesystem::exists("/usr/bin/openssl")) {
    std::string cmd = "/usr/bin/openssl x509 -noout -fingerprint -sha1 -in " + d.path + "/signer.pem";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
      char buf[256];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      ::pclose(p);
    }
    std::string hex;
    for (unsigned char c : s1) {
      char h[4];
      std::snprintf(h, sizeof h, "%02X:", c);
      hex += h;
    }
    hex.pop_back();
    EXPECT_NE(out.find(hex), std::string::npos) << out;
  }

  // The certificate's public key verifies what its private key signed.
  auto signer = jwt::signing_key::from_pem(read_file(d.path + "/signer-key.pem"));
  auto vk = jwt::verify_key::from_pem(pem);
  ASSERT_TRUE(vk);
  EXPECT_TRUE(verifies(jwt::encode(header("PS256"), claims, signer), *vk));
  EXPECT_EQ(jwt::x5t_sha1("garbage"), "");
  EXPECT_EQ(jwt::x5t_sha256("garbage"), "");
  EXPECT_FALSE(jwt::cert_der("garbage"));
}

TEST(Jwt, EcCertificateKeysAreRefused) {
  temp_dir d;
  pki::make_ca(d.path, "ec", {"ec test"});  // P-256: not usable for RS256/PS256
  EXPECT_FALSE(jwt::verify_key::from_pem(read_file(d.path + "/ec.pem")));
  EXPECT_THROW(jwt::signing_key::from_pem(read_file(d.path + "/ec-key.pem")), std::runtime_error);
}
