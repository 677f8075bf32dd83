// A tenant built in code for the identity-platform tests and the MSAL interop fixture: one
// complete confidential app (secret, expired secret, certificate), a public client, an app
// without admin consent, an app without Exchange permissions, and one user per sign-in
// outcome. Secrets here are test values, never real credentials.
#pragma once

#include <string>

#include "tenant/tenant.hpp"

namespace mh::test::idp {

inline constexpr const char* tenant_id = "6d2c4c8e-5b1e-4a36-9a5f-2f1e8d0b7c11";
inline constexpr const char* domain = "contoso.onmicrosoft.com";

inline constexpr const char* good_app = "0b6a5d1e-3f4c-4e2a-9d8b-7c6a5b4d3e21";
inline constexpr const char* good_sp = "7e1f2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
inline constexpr const char* good_app_object = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
inline constexpr const char* good_secret = "Qx8~good.secret-value_123";
inline constexpr const char* good_secret_id = "a3b2c1d0-e9f8-4a7b-8c6d-5e4f3a2b1c0d";
inline constexpr const char* expired_secret = "Qx8~expired.secret-value_456";
inline constexpr const char* good_redirect = "https://app.example/callback";

inline constexpr const char* public_app = "2c7b6e2f-4a5d-4f3b-8e9c-8d7b6c5e4f32";
inline constexpr const char* no_consent_app = "3d8c7f3a-5b6e-4a4c-9fad-9e8c7d6f5a43";
inline constexpr const char* no_perms_app = "4e9d8a4b-6c7f-4b5d-8abe-af9d8e7a6b54";
inline constexpr const char* unknown_app = "5fae9b5c-7d8a-4c6e-9bcf-bfae9f8b7c65";

inline constexpr const char* alice = "alice@contoso.com";      // fine
inline constexpr const char* alice_password = "alice-Pa55word!";
inline constexpr const char* bob = "bob@contoso.com";          // MFA required
inline constexpr const char* carol = "carol@contoso.com";      // blocked by Conditional Access
inline constexpr const char* dave = "dave@contoso.com";        // disabled
inline constexpr const char* user_password = "Us3r-Pa55word!";  // bob, carol, dave

// `client_cert_pem`: an RSA certificate registered on the good app (empty: none).
fake::tenant make_test_tenant(const std::string& client_cert_pem);

}  // namespace mh::test::idp
