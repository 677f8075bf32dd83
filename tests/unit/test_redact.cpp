#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/redact.hpp"
#include "core/transcript.hpp"

using namespace mh;

TEST(Redact, ReplacesSecretAndItsBase64Forms) {
  redactor r;
  r.add("eyJ0eXAiOiJKV1QifQ.payload.sig", "token");
  std::string b64 = base64_encode("eyJ0eXAiOiJKV1QifQ.payload.sig");
  std::string out = r.apply("A1 AUTHENTICATE XOAUTH2 " + b64 + " and raw eyJ0eXAiOiJKV1QifQ.payload.sig");
  EXPECT_EQ(out.find("payload.sig"), std::string::npos);
  EXPECT_EQ(out.find(b64), std::string::npos);
  EXPECT_NE(out.find("<token sha256:"), std::string::npos);
}

TEST(Redact, FingerprintIsStableAndShort) {
  EXPECT_EQ(fingerprint("abc"), fingerprint("abc"));
  EXPECT_NE(fingerprint("abc"), fingerprint("abd"));
  EXPECT_EQ(fingerprint("abc").size(), 7u + 8u);
  EXPECT_EQ(fingerprint("abc"), "sha256:ba7816bf");  // SHA-256("abc") starts ba7816bf
}

TEST(Transcript, RedactsAndEscapesControlCharacters) {
  redactor r;
  r.add("secret-token", "token");
  transcript t(r);
  t.add({}, 'S', std::string("+ x secret-token \x01y", 19));
  ASSERT_EQ(t.lines().size(), 1u);
  EXPECT_EQ(t.lines()[0].text.find("secret-token"), std::string::npos);
  EXPECT_NE(t.lines()[0].text.find("\\x01"), std::string::npos);
}
