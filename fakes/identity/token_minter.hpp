// Mints the tokens of the fake identity platform (exchange-facts §7): v1.0-format RS256
// access tokens as Exchange receives them (iss https://sts.windows.net/<tid>/, appid,
// appidacr, roles for app-only, scp/upn for delegated; iat = nbf = now - 300 s; lifetime
// drawn uniformly from the tenant's token policy), v2.0 ID tokens for `openid`, and MSAL's
// `client_info`. Header {"typ":"JWT","alg":"RS256","x5t":kid,"kid":kid}.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "identity/key_store.hpp"
#include "tenant/tenant.hpp"

namespace mh::fake {

struct access_request {
  std::string audience;
  std::string appidacr;                           // "0" public, "1" secret, "2" certificate
  std::vector<std::string> amr;                   // delegated only
  std::string scp;                                // delegated only
  std::optional<std::vector<std::string>> roles;  // app-only; absent without admin consent
};

struct minted {
  std::string token;            // empty when the signature is deferred
  std::int64_t expires_in = 0;  // exp - now
  std::string signing_input;    // deferred: "<header>.<claims>", signed by sign()
};

class token_minter {
 public:
  // seed 0: a random seed.
  token_minter(const tenant& t, const key_store& keys, std::uint64_t seed);

  // `u` null: an app-only token (oid = sub = the service principal's object id).
  // `defer_signature`: the token is returned unsigned (signing_input); sign() finishes it,
  // from any thread (the RSA signature is most of a token request's CPU).
  minted access_token(const app& a, const user* u, const access_request& r, std::int64_t now,
                      bool defer_signature = false);
  std::string sign(std::string signing_input) const;
  std::string id_token(const app& a, const user& u, const std::string& issuer,
                       const std::string& nonce, std::int64_t now);
  // base64url({"uid":<user object id>,"utid":<tenant id>}), what MSAL asks for.
  std::string client_info(const user& u) const;
  // "https://sts.windows.net/<tid>/", the `iss` of access tokens.
  std::string access_token_issuer() const;

 private:
  std::int64_t draw_lifetime();
  nlohmann::ordered_json header() const;
  const tenant& t_;
  const key_store& keys_;
  std::mt19937_64 rng_;
};

}  // namespace mh::fake
