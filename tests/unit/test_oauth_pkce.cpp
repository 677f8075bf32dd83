// The pure parts of the authorization-code flow: PKCE verifier, S256 challenge and state
// (RFC 7636), the authorize URL, the loopback redirect's query parsing and HTML escaping,
// and an error redirect turned into a structured token_result.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "oauth/authorize.hpp"
#include "oauth/pkce.hpp"

using namespace mh;
using namespace mh::oauth;

TEST(Pkce, VerifierLengthAlphabetAndRandomness) {
  auto v = make_code_verifier();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->size(), default_verifier_length);
  EXPECT_TRUE(valid_code_verifier(v->reveal()));
  EXPECT_EQ(make_code_verifier(10)->size(), 43u);   // clamped to RFC 7636's bounds
  EXPECT_EQ(make_code_verifier(500)->size(), 128u);
  std::set<std::string> seen;
  std::set<char> chars;
  for (int i = 0; i < 50; ++i) {
    auto x = make_code_verifier(128);
    ASSERT_TRUE(x);
    ASSERT_TRUE(valid_code_verifier(x->reveal())) << i;
    seen.emplace(x->reveal());
    chars.insert(x->reveal().begin(), x->reveal().end());
  }
  EXPECT_EQ(seen.size(), 50u);
  // 6400 draws from 66 characters: every one of them, including the four punctuation marks.
  EXPECT_EQ(chars.size(), 66u);
}

TEST(Pkce, VerifierValidation) {
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a')));
  EXPECT_TRUE(valid_code_verifier(std::string(43, 'a')));
  EXPECT_TRUE(valid_code_verifier(std::string(128, '~')));
  EXPECT_FALSE(valid_code_verifier(std::string(129, 'a')));
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a') + "+"));
  EXPECT_FALSE(valid_code_verifier(std::string(42, 'a') + "="));
}

TEST(Pkce, S256MatchesRfc7636AppendixB) {
  EXPECT_EQ(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  auto p = make_pkce();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->challenge, code_challenge_s256(p->verifier.reveal()));
  EXPECT_EQ(p->challenge.size(), 43u);  // 32 bytes, base64url without padding
}

TEST(Pkce, StateIsRandomBase64url) {
  auto a = make_state();
  auto b = make_state();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(AuthorizeUrl, AllParametersEncoded) {
  authorize_request r{"https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
                      "a1b2c3d4-0002-4000-8000-000000000002",
                      "http://localhost:51234",
                      "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
                      "st-1",
                      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                      "",
                      ""};
  EXPECT_EQ(authorize_url(r),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
            "?client_id=a1b2c3d4-0002-4000-8000-000000000002&response_type=code"
            "&redirect_uri=http%3A%2F%2Flocalhost%3A51234&response_mode=query"
            "&scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20offline_access"
            "&state=st-1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256");
  r.login_hint = "alice+mail@contoso.com";
  r.prompt = "select_account";
  std::string u = authorize_url(r);
  EXPECT_TRUE(u.ends_with("&code_challenge_method=S256&login_hint=alice%2Bmail%40contoso.com&prompt=select_account"))
      << u;
}

TEST(LoopbackQuery, ParsesDecodesAndRejects) {
  auto q = parse_query("code=0.AX%2Fab+c&state=st-1&&session_state=x&empty=");
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (query_params{{"code", "0.AX/ab c"}, {"state", "st-1"}, {"session_state", "x"}, {"empty", ""}}));
  EXPECT_EQ(parse_query("")->size(), 0u);
  std::string why;
  EXPECT_FALSE(parse_query("code=%zz", &why));
  EXPECT_EQ(why, "bad percent-encoding");
  EXPECT_FALSE(parse_query("code=%4", &why));
  EXPECT_FALSE(parse_query("=x", &why));
  EXPECT_EQ(why, "a parameter without a name");
  EXPECT_FALSE(parse_query("state=a&code=1&state=b", &why));
  EXPECT_EQ(why, "parameter 'state' appears more than once");
}

TEST(LoopbackQuery, HtmlEscape) {
  EXPECT_EQ(html_escape(R"(<script>alert("x" & 'y')</script>)"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
}

TEST(AuthorizeError, EntraRedirectBecomesStructuredError) {
  redirect_result rr;
  rr.ec = errc::token_request_denied;
  rr.error = "consent_required";
  rr.error_description =
      "AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.\r\n"
      "Trace ID: 0b0c7a1e-8a0b-4c5d-9e6f-1a2b3c4d5e6f\r\nCorrelation ID: 1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f\r\n"
      "Timestamp: 2023-11-14 22:13:20Z";
  auto r = authorize_error(rr, "GET https://login.example/t/oauth2/v2.0/authorize");
  EXPECT_EQ(r.ec, errc::token_request_denied);
  EXPECT_FALSE(r.ok());
  ASSERT_TRUE(r.aad);
  EXPECT_EQ(r.aad->error, "consent_required");
  EXPECT_EQ(r.aad->code, 65001);
  EXPECT_EQ(r.aad->http_status, 302);
  EXPECT_EQ(r.aad->description,
            "AADSTS65001: The user or administrator has not consented to use the application with ID 'x'.");
  EXPECT_EQ(r.aad->trace_id, "0b0c7a1e-8a0b-4c5d-9e6f-1a2b3c4d5e6f");
  EXPECT_EQ(r.aad->correlation_id, "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f");
  EXPECT_EQ(r.aad->timestamp, "2023-11-14 22:13:20Z");
  EXPECT_EQ(r.message,
            "AADSTS65001 consent_required (authorize redirect): The user or administrator has not consented to "
            "use the application with ID 'x'.");
  EXPECT_EQ(r.endpoint, "GET https://login.example/t/oauth2/v2.0/authorize");

  redirect_result plain;  // RFC 6749 error without an AADSTS code
  plain.error = "access_denied";
  plain.error_description = "The user cancelled.";
  plain.error_uri = "https://idp.example/errors/access_denied";
  auto p = authorize_error(plain, "GET x");
  ASSERT_TRUE(p.aad);
  EXPECT_EQ(p.aad->code, 0);
  EXPECT_EQ(p.aad->error_uri, "https://idp.example/errors/access_denied");
  EXPECT_TRUE(p.aad->trace_id.empty());
  EXPECT_EQ(p.message, "access_denied (authorize redirect): The user cancelled.");
}
