// SASL table, payloads (Microsoft's golden vector), initial-response rule, server decoding.
#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "sasl/decode.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/protocol.hpp"

using namespace mh;
using namespace mh::sasl;

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYg==").value(), "foob");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8").value(), "\xfb\xff");
}

TEST(Base64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zm9"));       // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Zm9v YmFy")); // whitespace
  EXPECT_FALSE(base64_decode("Zm9=Zm9v"));  // padding in the middle
  EXPECT_FALSE(base64_decode("Zh=="));      // non-zero discarded bits
  EXPECT_FALSE(base64_decode("{\"a\":1}"));
}

// exchange-facts §4.1: Microsoft's worked example.
TEST(Sasl, Xoauth2MatchesMicrosoftGoldenVector) {
  std::string payload =
      xoauth2_payload("test@contoso.onmicrosoft.com", "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA");
  EXPECT_EQ(base64_encode(payload),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVy"
            "IEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ==");
}

TEST(Sasl, OauthbearerPayloadFollowsRfc7628) {
  EXPECT_EQ(oauthbearer_payload("user@example.com", "server.example.com", 143, "vF9dft4qmT"),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
            "auth=Bearer vF9dft4qmT\x01\x01");
  // gs2 escaping of ',' and '=' in the authzid (RFC 5801 §4)
  EXPECT_EQ(oauthbearer_payload("a,b=c", "", 0, "t"), "n,a=a=2Cb=3Dc,\x01" "auth=Bearer t\x01\x01");
}

TEST(Sasl, MechanismTableParsesAdvertisements) {
  mech_set s = parse_mech_list("PLAIN xoauth2 UNKNOWN-MECH OAUTHBEARER");
  EXPECT_TRUE(contains(s, mech::plain));
  EXPECT_TRUE(contains(s, mech::xoauth2));
  EXPECT_TRUE(contains(s, mech::oauthbearer));
  EXPECT_FALSE(contains(s, mech::login));
  EXPECT_EQ(format_mech_set(s), "PLAIN XOAUTH2 OAUTHBEARER");
}

TEST(Sasl, AutoPrefersOauthbearerThenXoauth2) {
  EXPECT_EQ(choose(choice::automatic, parse_mech_list("XOAUTH2 OAUTHBEARER")), mech::oauthbearer);
  EXPECT_EQ(choose(choice::automatic, parse_mech_list("PLAIN XOAUTH2")), mech::xoauth2);
  EXPECT_EQ(choose(choice::automatic, parse_mech_list("PLAIN LOGIN")), mech::none);
  EXPECT_EQ(choose(choice::oauthbearer, parse_mech_list("PLAIN XOAUTH2")), mech::none);
}

TEST(Sasl, InitialResponseRuleIsProtocolData) {
  // IMAP: only with SASL-IR.
  EXPECT_TRUE(use_initial_response(imap_params, form::automatic, true, 5000));
  EXPECT_FALSE(use_initial_response(imap_params, form::automatic, false, 50));
  // POP3: never by default (Exchange closes the connection), explicit form honoured.
  EXPECT_FALSE(use_initial_response(pop3_params, form::automatic, true, 50));
  EXPECT_TRUE(use_initial_response(pop3_params, form::initial_response, false, 5000));
  // SMTP: when the line fits 12288 octets (RFC 4954 §4).
  EXPECT_TRUE(use_initial_response(smtp_params, form::automatic, true, 12288));
  EXPECT_FALSE(use_initial_response(smtp_params, form::automatic, true, 12289));
  EXPECT_FALSE(use_initial_response(smtp_params, form::two_step, true, 10));
}

TEST(Sasl, Xoauth2ErrorChallengeIsAcknowledgedWithEmptyResponse) {
  credentials c;
  c.user = "u@x";
  c.token = secret_string("tok");
  auto m = make_client_mech(mech::xoauth2, c);
  // Two-step: the first (empty) challenge asks for the credentials.
  auto s1 = m->on_challenge("");
  EXPECT_EQ(s1.response.reveal(), xoauth2_payload("u@x", "tok"));
  EXPECT_FALSE(s1.acknowledges_error);
  auto s2 = m->on_challenge(R"({"status":"401","schemes":"bearer"})");
  EXPECT_TRUE(s2.acknowledges_error);
  EXPECT_EQ(s2.response.reveal(), "");
  EXPECT_EQ(m->server_error().value(), R"({"status":"401","schemes":"bearer"})");
}

TEST(Sasl, OauthbearerErrorIsAcknowledgedWithCtrlA) {
  credentials c;
  c.user = "u@x";
  c.token = secret_string("tok");
  c.host = "h";
  c.port = 993;
  auto m = make_client_mech(mech::oauthbearer, c);
  m->mark_credentials_sent();
  auto s = m->on_challenge(R"({"status":"invalid_token"})");
  EXPECT_TRUE(s.acknowledges_error);
  EXPECT_EQ(s.response.reveal(), "\x01");
}

TEST(Sasl, DescribeNeverContainsTheToken) {
  credentials c;
  c.user = "u@x";
  c.token = secret_string("super-secret-token-value");
  for (mech m : {mech::xoauth2, mech::oauthbearer}) {
    auto cm = make_client_mech(m, c);
    EXPECT_EQ(cm->describe().find("super-secret"), std::string::npos);
    EXPECT_NE(cm->describe().find("u@x"), std::string::npos);
  }
}

TEST(SaslDecode, CanonicalXoauth2) {
  auto p = decode_xoauth2(xoauth2_payload("alice@contoso.com", "abc.def"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user, "alice@contoso.com");
  EXPECT_EQ(p->token, "abc.def");
  EXPECT_TRUE(p->canonical);
}

TEST(SaslDecode, NonCanonicalXoauth2IsReported) {
  auto lower = decode_xoauth2("user=a@b\x01" "auth=bearer t\x01\x01");
  ASSERT_TRUE(lower);
  EXPECT_FALSE(lower->canonical);
  auto no_final = decode_xoauth2("user=a@b\x01" "auth=Bearer t");
  ASSERT_TRUE(no_final);
  EXPECT_FALSE(no_final->canonical);
  EXPECT_FALSE(decode_xoauth2("garbage"));
  EXPECT_FALSE(decode_xoauth2("user=a@b\x01" "auth=Basic xyz\x01\x01"));
}

TEST(SaslDecode, Oauthbearer) {
  auto p = decode_oauthbearer(oauthbearer_payload("a,b@x", "imap.example", 993, "t0k"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user, "a,b@x");
  EXPECT_EQ(p->host, "imap.example");
  EXPECT_EQ(p->port, "993");
  EXPECT_EQ(p->token, "t0k");
  EXPECT_TRUE(p->canonical);
  EXPECT_FALSE(decode_oauthbearer("no separators"));
}
