// The fake identity platform over HTTPS: discovery documents, JWKS, MSAL's metadata
// endpoints, the key store, HTTP robustness (malformed requests, limits, keep-alive) and
// injected token-endpoint faults.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>

#include "core/base64.hpp"
#include "identity/ids.hpp"
#include "identity_env.hpp"
#include "jwt/jwt.hpp"

using namespace mh;
using namespace mh::test;
namespace idp = mh::test::idp;

namespace {

const params client_credentials = {{"client_id", idp::good_app},
                                   {"client_secret", idp::good_secret},
                                   {"scope", "https://outlook.office365.com/.default"},
                                   {"grant_type", "client_credentials"}};

std::vector<std::string> keys_of(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

}  // namespace

TEST(IdentityDiscovery, OpenIdConfigurationPointsAtThisServer) {
  identity_env env;
  auto r = env.get(std::string("/") + idp::tenant_id + "/v2.0/.well-known/openid-configuration");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::ordered_json::parse(r.body);
  std::vector<std::string> order = {
      "token_endpoint", "token_endpoint_auth_methods_supported", "jwks_uri",
      "response_modes_supported", "subject_types_supported",
      "id_token_signing_alg_values_supported", "response_types_supported", "scopes_supported",
      "issuer", "request_uri_parameter_supported", "userinfo_endpoint", "authorization_endpoint",
      "device_authorization_endpoint", "http_logout_supported", "frontchannel_logout_supported",
      "end_session_endpoint", "claims_supported", "kerberos_endpoint", "tenant_region_scope",
      "cloud_instance_name", "cloud_graph_host_name", "msgraph_host", "rbac_url"};
  EXPECT_EQ(keys_of(j), order);
  EXPECT_EQ(j["token_endpoint"], env.server().token_endpoint());
  EXPECT_EQ(j["authorization_endpoint"], env.server().authority() + "/oauth2/v2.0/authorize");
  EXPECT_EQ(j["device_authorization_endpoint"], env.server().authority() + "/oauth2/v2.0/devicecode");
  EXPECT_EQ(j["jwks_uri"], env.server().authority() + "/discovery/v2.0/keys");
  EXPECT_EQ(j["issuer"], env.server().authority() + "/v2.0");
  EXPECT_EQ(j["token_endpoint_auth_methods_supported"],
            nlohmann::ordered_json({"client_secret_post", "private_key_jwt", "client_secret_basic"}));
  EXPECT_EQ(r.header("cache-control"), "max-age=86400, private");
  EXPECT_EQ(r.header("access-control-allow-origin"), "*");
  EXPECT_TRUE(fake::is_guid(r.header("x-ms-request-id")));
  EXPECT_EQ(env.server().authority(),
            "https://localhost:" + std::to_string(env.server().port()) + "/" + idp::tenant_id);

  // By domain: endpoints name the tenant id; /common keeps Entra's {tenantid} template.
  auto by_domain = env.get(std::string("/") + idp::domain + "/v2.0/.well-known/openid-configuration").json();
  EXPECT_EQ(by_domain["token_endpoint"], env.server().token_endpoint());
  auto common = env.get("/common/v2.0/.well-known/openid-configuration").json();
  EXPECT_EQ(common["issuer"], env.server().issuer_base() + "/{tenantid}/v2.0");
  EXPECT_EQ(common["token_endpoint"], env.server().issuer_base() + "/common/oauth2/v2.0/token");
}

TEST(IdentityDiscovery, UnknownTenantIs90002AndMalformedTenantIs900023) {
  identity_env env;
  auto r = env.get("/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration");
  auto j = expect_aadsts(r, 400, "invalid_tenant", 90002);
  EXPECT_NE(j["error_description"].get<std::string>().find("Tenant 'fabrikam.onmicrosoft.com' not found."),
            std::string::npos);
  expect_aadsts(env.get("/00000000-1111-2222-3333-444444444444/discovery/v2.0/keys"), 400,
                "invalid_tenant", 90002);
  expect_aadsts(env.token(client_credentials, "not_a_tenant!"), 400, "invalid_request", 900023);
  expect_aadsts(env.token(client_credentials, "fabrikam.onmicrosoft.com"), 400, "invalid_tenant", 90002);
}

TEST(IdentityDiscovery, JwksPublishesTheSigningKey) {
  identity_env env;
  for (std::string path : {std::string("/") + idp::tenant_id + "/discovery/v2.0/keys",
                           std::string("/common/discovery/v2.0/keys")}) {
    auto r = env.get(path);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = nlohmann::ordered_json::parse(r.body);
    ASSERT_EQ(j["keys"].size(), 1u);
    auto k = j["keys"][0];
    EXPECT_EQ(keys_of(k), (std::vector<std::string>{"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"}));
    EXPECT_EQ(k["kid"], env.keys().kid());
    EXPECT_EQ(k["x5t"], env.keys().kid());
    EXPECT_EQ(k["kid"], jwt::x5t_sha1(env.keys().certificate_pem()));
    EXPECT_EQ(k["e"], "AQAB");
    EXPECT_EQ(base64_decode(k["x5c"][0].get<std::string>()), jwt::cert_der(env.keys().certificate_pem()));
    // The published key verifies what the server signs.
    auto vk = jwt::verify_key::from_jwk(nlohmann::json::parse(k.dump()));
    ASSERT_TRUE(vk);
    auto tok = jwt::encode(nlohmann::json{{"alg", "RS256"}}, nlohmann::json{{"a", 1}}, env.keys().signer());
    EXPECT_TRUE(jwt::verify(*jwt::decode(tok), *vk));
  }
  EXPECT_EQ(env.get(std::string("/") + idp::tenant_id + "/discovery/v2.0/keys").json()["keys"][0]["issuer"],
            env.server().authority() + "/v2.0");
  EXPECT_EQ(env.get("/common/discovery/v2.0/keys").json()["keys"][0]["issuer"],
            env.server().issuer_base() + "/{tenantid}/v2.0");
}

TEST(IdentityDiscovery, MsalInstanceDiscoveryAndUserRealm) {
  identity_env env;
  std::string auth = env.server().authority() + "/oauth2/v2.0/authorize";
  auto r = env.get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
                   fake::url_encode(auth));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j["tenant_discovery_endpoint"], env.server().authority() + "/v2.0/.well-known/openid-configuration");
  EXPECT_EQ(j["api-version"], "1.1");
  std::string host = "localhost:" + std::to_string(env.server().port());
  EXPECT_EQ(j["metadata"][0]["preferred_network"], host);
  auto bad = env.get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
                     fake::url_encode("https://evil.example/x/oauth2/v2.0/authorize"));
  expect_aadsts(bad, 400, "invalid_instance", 50049);

  auto realm = env.get(std::string("/common/userrealm/") + fake::url_encode(idp::alice) + "?api-version=1.0").json();
  EXPECT_EQ(realm["account_type"], "Managed");
  EXPECT_EQ(realm["domain_name"], idp::domain);
  EXPECT_EQ(env.get("/common/userrealm/x@elsewhere.example?api-version=1.0").json()["account_type"], "Unknown");
}

TEST(IdentityKeyStore, PersistsCreatesPrivatelyAndRefusesPartialPairs) {
  char tmpl[] = "/tmp/mh-ks-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string state = dir + "/state";
  auto a = fake::key_store::load_or_create(state);
  auto b = fake::key_store::load_or_create(state);
  EXPECT_EQ(a.kid(), b.kid());
  EXPECT_EQ(a.kid(), jwt::x5t_sha1(a.certificate_pem()));
  struct stat st{};
  ASSERT_EQ(::stat((state + "/token-signing-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto tok = jwt::encode(nlohmann::json{{"alg", "PS256"}}, nlohmann::json{{"x", 1}}, a.signer());
  EXPECT_TRUE(jwt::verify(*jwt::decode(tok), b.public_key()));
  std::filesystem::remove(state + "/token-signing.pem");
  EXPECT_THROW(fake::key_store::load_or_create(state), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(IdentityHttp, MalformedRequestsGet400JsonAndTheServerKeepsServing) {
  identity_env env;
  for (std::string garbage : {std::string("THIS IS NOT HTTP\r\n\r\n"),
                              std::string("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"),
                              std::string("POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                              std::string("GET /x HTTP/1.1\r\nBad Header Line\r\n\r\n")}) {
    std::string out = env.raw(garbage);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400")) << out;
    auto body = nlohmann::json::parse(out.substr(out.find("\r\n\r\n") + 4), nullptr, false);
    EXPECT_EQ(body.value("error", ""), "invalid_request") << out;
    EXPECT_NE(out.find("Content-Type: application/json; charset=utf-8"), std::string::npos);
  }
  EXPECT_EQ(env.token(client_credentials).status, 200);
  EXPECT_FALSE(env.events_of("http.bad_request").empty());
}

TEST(IdentityHttp, OversizedBodiesAndHeadersAreRefused) {
  identity_env env;
  std::string big(100 * 1024, 'a');
  auto r = env.request("POST", std::string("/") + idp::tenant_id + "/oauth2/v2.0/token", "x=" + big,
                       {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json().value("error", ""), "invalid_request");
  // A declared length past the hard limit is refused before the body is read.
  std::string out = env.raw("POST /t/oauth2/v2.0/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\nab");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out;
  std::string huge_header = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n";
  EXPECT_TRUE(env.raw(huge_header).starts_with("HTTP/1.1 431"));
  EXPECT_EQ(env.token(client_credentials).status, 200);
}

TEST(IdentityHttp, MalformedFormBodiesAre400) {
  identity_env env;
  std::string path = std::string("/") + idp::tenant_id + "/oauth2/v2.0/token";
  std::vector<std::string> form = {"Content-Type: application/x-www-form-urlencoded"};
  for (std::string body : {std::string("grant_type=client_credentials&client_id=%ZZ"),
                           std::string("grant_type=a&grant_type=b"),
                           std::string("scope=%FF%FE&grant_type=client_credentials"),
                           std::string("=value")}) {
    auto r = env.request("POST", path, body, form);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.json().value("error", ""), "invalid_request") << r.body;
  }
  // A JSON body is not a form: Entra then misses grant_type.
  auto r = env.request("POST", path, R"({"grant_type":"client_credentials"})", {"Content-Type: application/json"});
  expect_aadsts(r, 400, "invalid_request", 900144);
}

TEST(IdentityHttp, KeepAliveReusesTheConnection) {
  identity_env env;
  EXPECT_EQ(env.token(client_credentials).status, 200);
  EXPECT_EQ(env.last_new_connections(), 1);
  EXPECT_EQ(env.token(client_credentials).status, 200);
  EXPECT_EQ(env.last_new_connections(), 0);
  EXPECT_EQ(env.get("/common/discovery/v2.0/keys").status, 200);
  EXPECT_EQ(env.last_new_connections(), 0);
}

TEST(IdentityHttp, WrongMethodAndUnknownPaths) {
  identity_env env;
  auto r = env.get(std::string("/") + idp::tenant_id + "/oauth2/v2.0/token");
  expect_aadsts(r, 400, "invalid_request", 900561);
  EXPECT_EQ(env.get("/nope").status, 404);
  EXPECT_EQ(env.get(std::string("/") + idp::tenant_id + "/oauth2/v2.0/nothing").status, 404);
  EXPECT_EQ(env.get("/_fake").json()["tenant_id"], idp::tenant_id);
}

TEST(IdentityFaults, Token429WithRetryAfterThenRecovers) {
  identity_env env;
  env.server().faults().set({429, 2, 0, 2});
  for (int i = 0; i < 2; ++i) {
    auto r = env.token(client_credentials);
    auto j = expect_aadsts(r, 429, "temporarily_unavailable", 90055);
    EXPECT_EQ(r.header("retry-after"), "2");
  }
  EXPECT_EQ(env.token(client_credentials).status, 200);
  EXPECT_EQ(env.events_of("token.fault").size(), 2u);
  // The refused requests are still recorded, marked as faults.
  auto errors = env.events_of("token.error");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0]["fault"], true);
  EXPECT_EQ(errors[0]["grant"], "client_credentials");
  EXPECT_EQ(errors[0]["status"], 429);
}

TEST(IdentityFaults, ControlRouteSetsClearsAndDelays) {
  identity_env env;
  auto set = env.post_json("/_fake/faults/token", {{"status", 503}, {"count", 3}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json()["faults"]["count"], 3);
  expect_aadsts(env.token(client_credentials), 503, "temporarily_unavailable", 90033);
  EXPECT_EQ(env.request("DELETE", "/_fake/faults/token", "").status, 200);
  EXPECT_EQ(env.token(client_credentials).status, 200);

  ASSERT_EQ(env.post_json("/_fake/faults/token", {{"status", 500}}).status, 200);
  expect_aadsts(env.token(client_credentials), 500, "server_error", 50000);

  ASSERT_EQ(env.post_json("/_fake/faults/token", {{"delay_ms", 300}, {"count", 1}}).status, 200);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(env.token(client_credentials).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));

  for (nlohmann::json bad : {nlohmann::json{{"status", 200}}, nlohmann::json{{"count", 0}, {"status", 429}},
                             nlohmann::json{{"delay_ms", -1}}, nlohmann::json{{"bogus", 1}},
                             nlohmann::json::array()})
    EXPECT_EQ(env.post_json("/_fake/faults/token", bad).status, 400) << bad.dump();
  EXPECT_EQ(env.request("POST", "/_fake/faults/token", "{not json", {}).status, 400);
}

TEST(IdentityEvents, ControlRouteListsEventsWithoutSecrets) {
  identity_env env;
  EXPECT_EQ(env.token(client_credentials).status, 200);
  auto r = env.get("/_fake/events?since=0");
  ASSERT_EQ(r.status, 200);
  auto j = r.json();
  ASSERT_TRUE(j.is_array());
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j.back()["kind"], "token.issued");
  EXPECT_EQ(r.body.find(idp::good_secret), std::string::npos);
}
