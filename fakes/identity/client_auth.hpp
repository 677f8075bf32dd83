// Client authentication at the token endpoint (exchange-facts §5.2, §5.3, §6): client_secret
// in the body or HTTP Basic (RFC 6749 §2.3.1), or a private_key_jwt client assertion (RS256
// or PS256; header x5t or x5t#S256 naming one of the app's certificates; aud = the token
// endpoint; iss = sub = client id; nbf/exp checked; signature verified with the
// certificate's key). Public clients must present no credential (AADSTS700025); confidential
// ones must present one (AADSTS7000218). Errors are AADSTS values; secrets are compared in
// constant time and never copied into a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "identity/aadsts.hpp"
#include "identity/http_form.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

struct client_identity {
  const app* a = nullptr;
  std::string appidacr;  // "0" public client, "1" secret, "2" certificate
};

struct client_auth_input {
  const form_params* form = nullptr;
  std::optional<basic_credentials> basic;  // from the Authorization header
  // Accept a public client without credential (delegated grants of a public-client app).
  bool public_allowed = false;
  // Accepted `aud` values for client assertions (the token endpoint URLs of this tenant).
  std::vector<std::string> assertion_audiences;
  std::int64_t now = 0;
};

outcome<client_identity> authenticate_client(const tenant& t, const client_auth_input& in);

// The app registered as `client_id`: 900144 when empty, 700016 when unknown (700038 when
// not even a GUID).
outcome<const app*> find_client(const tenant& t, std::string_view client_id);

}  // namespace mh::fake
