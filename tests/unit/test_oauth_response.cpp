// Token endpoint answers: success bodies (v2 numbers, v1 strings), Entra errors with the
// real §5.7 body, and bad input (non-JSON, truncated, missing fields, wrong content type).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "oauth/token_response.hpp"

using namespace mh;
using namespace mh::oauth;

namespace {
const char* json_type = "application/json; charset=utf-8";

// exchange-facts §5.7 (OfficeDev/microsoft-365-agents-toolkit#8621), HTTP 401.
const std::string real_error =
    R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '<appId>'.\r\nTrace ID: 0b8e5a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b\r\nCorrelation ID: 9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a\r\nTimestamp: 2023-05-06 06:03:00Z","error_codes":[7000215],"timestamp":"2023-05-06 06:03:00Z","trace_id":"0b8e5a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b","correlation_id":"9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a","error_uri":"https://login.microsoftonline.com/error?code=7000215"})";
}  // namespace

TEST(OauthResponse, V2SuccessWithNumbers) {
  auto r = parse_token_response(
      200, json_type,
      R"({"token_type":"Bearer","scope":"https://outlook.office.com/IMAP.AccessAsUser.All","expires_in":3599,"ext_expires_in":3599,"refresh_in":1800,"access_token":"eyJ.a.b","refresh_token":"rt-1","id_token":"id.x.y"})");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(r.message.empty());
  EXPECT_EQ(r.tokens->access_token.reveal(), "eyJ.a.b");
  EXPECT_EQ(r.tokens->expires_in, 3599);
  EXPECT_EQ(r.tokens->ext_expires_in, 3599);
  EXPECT_EQ(r.tokens->refresh_in, 1800);
  EXPECT_EQ(r.tokens->refresh_token.reveal(), "rt-1");
  EXPECT_EQ(r.tokens->id_token.reveal(), "id.x.y");
  EXPECT_EQ(r.tokens->scope, "https://outlook.office.com/IMAP.AccessAsUser.All");
}

TEST(OauthResponse, V1StringsAccepted) {
  auto r = parse_token_response(
      200, "application/json",
      R"({"token_type":"Bearer","expires_in":"3600","expires_on":"1429194411","not_before":"1429190511","resource":"https://outlook.office365.com/","access_token":"tok"})");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.tokens->expires_in, 3600);
  EXPECT_FALSE(r.tokens->refresh_in);
  EXPECT_TRUE(r.tokens->refresh_token.empty());
}

TEST(OauthResponse, BadSuccessBodiesAreClearErrors) {
  struct c {
    std::string body;
    std::string says;
  } cases[] = {
      {"", "empty body"},
      {"<html><body>Bad Gateway</body></html>", "not valid JSON"},
      {R"({"token_type":"Bearer","expires_in":3599,"access_tok)", "not valid JSON"},
      {"[1,2]", "not an object"},
      {R"({"token_type":"Bearer","expires_in":3599})", "no access_token"},
      {R"({"token_type":"Bearer","access_token":"t"})", "expires_in missing"},
      {R"({"token_type":"Bearer","access_token":"t","expires_in":"soon"})", "expires_in missing or not a number"},
      {R"({"token_type":"Bearer","access_token":"t","expires_in":0})", "not positive"},
      {R"({"token_type":"MAC","access_token":"t","expires_in":10})", "not Bearer"},
      {R"({"access_token":17,"expires_in":10})", "no access_token"},
  };
  for (const auto& x : cases) {
    auto r = parse_token_response(200, json_type, x.body);
    EXPECT_EQ(r.ec, errc::bad_token_response) << x.body;
    EXPECT_FALSE(r.tokens);
    EXPECT_NE(r.message.find(x.says), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("HTTP 200"), std::string::npos) << r.message;
    // A 200 body may hold a token: its text is never quoted.
    EXPECT_EQ(r.message.find("body starts"), std::string::npos) << r.message;
  }
}

TEST(OauthResponse, WrongContentTypeIsAWarningOnly) {
  auto r = parse_token_response(200, "text/plain", R"({"access_token":"t","expires_in":60})");
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.message.find("text/plain"), std::string::npos);
}

TEST(OauthResponse, RealEntraErrorBody) {
  auto r = parse_token_response(401, json_type, real_error);
  EXPECT_EQ(r.ec, errc::token_request_denied);
  EXPECT_EQ(classify(r.ec), error_class::rejected);
  ASSERT_TRUE(r.aad);
  const auto& e = *r.aad;
  EXPECT_EQ(e.http_status, 401);
  EXPECT_EQ(e.error, "invalid_client");
  EXPECT_EQ(e.code, 7000215);
  EXPECT_EQ(e.description,
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a secret added to "
            "app '<appId>'.");
  EXPECT_EQ(e.trace_id, "0b8e5a1c-2f3d-4e5f-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(e.correlation_id, "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
  EXPECT_EQ(e.timestamp, "2023-05-06 06:03:00Z");
  EXPECT_EQ(e.error_uri, "https://login.microsoftonline.com/error?code=7000215");
  EXPECT_TRUE(r.message.starts_with("AADSTS7000215 invalid_client (HTTP 401): Invalid client secret"))
      << r.message;
  EXPECT_EQ(r.message.find("Trace ID"), std::string::npos);
}

TEST(OauthResponse, CodeFromDescriptionAndSuberror) {
  auto e = parse_aad_error(
      400, R"({"error":"invalid_grant","error_description":"AADSTS700082: The refresh token has expired due to inactivity.\r\nTrace ID: x","suberror":"bad_token"})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 700082);
  EXPECT_EQ(e->suberror, "bad_token");
  EXPECT_EQ(e->description, "AADSTS700082: The refresh token has expired due to inactivity.");
  EXPECT_NE(e->summary().find("[suberror bad_token]"), std::string::npos);
  // RFC 6749 errors without AADSTS (other servers) still parse.
  auto plain = parse_aad_error(400, R"({"error":"authorization_pending"})");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->code, 0);
  EXPECT_EQ(plain->summary(), "authorization_pending (HTTP 400)");
}

TEST(OauthResponse, NonJsonErrorBodies) {
  auto html = parse_token_response(502, "text/html", "<html>Bad Gateway</html>");
  EXPECT_EQ(html.ec, errc::bad_token_response);
  EXPECT_NE(html.message.find("HTTP 502"), std::string::npos);
  EXPECT_NE(html.message.find("<html>Bad Gateway"), std::string::npos) << html.message;
  auto empty = parse_token_response(503, "", "");
  EXPECT_EQ(empty.ec, errc::bad_token_response);
  EXPECT_NE(empty.message.find("empty body"), std::string::npos);
  auto truncated = parse_token_response(400, json_type, real_error.substr(0, 80));
  EXPECT_EQ(truncated.ec, errc::bad_token_response);
  auto no_error_member = parse_token_response(400, json_type, R"({"message":"nope"})");
  EXPECT_EQ(no_error_member.ec, errc::bad_token_response);
  // Binary garbage never reaches the message raw.
  auto bin = parse_token_response(500, "application/octet-stream", std::string("\x01\x02\xff\n", 4));
  EXPECT_EQ(bin.message.find('\x01'), std::string::npos);
}

TEST(OauthResponse, ErrorIn200IsStillAnError) {
  auto r = parse_token_response(200, json_type, R"({"error":"invalid_request","error_description":"AADSTS900144: missing"})");
  EXPECT_EQ(r.ec, errc::token_request_denied);
  ASSERT_TRUE(r.aad);
  EXPECT_EQ(r.aad->code, 900144);
}
