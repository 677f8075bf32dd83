#include "identity/token_minter.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "identity/ids.hpp"

namespace mh::fake {
namespace {

constexpr std::int64_t backdate_s = 300;  // Entra back-dates iat/nbf about five minutes

}  // namespace

token_minter::token_minter(const tenant& t, const key_store& keys, std::uint64_t seed)
    : t_(t), keys_(keys), rng_(seed ? seed : std::random_device{}()) {}

std::string token_minter::access_token_issuer() const {
  return "https://sts.windows.net/" + t_.tenant_id + "/";
}

std::int64_t token_minter::draw_lifetime() {
  int lo = std::max(1, t_.tokens.lifetime_min_s);
  int hi = std::max(lo, t_.tokens.lifetime_max_s);
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
}

constexpr const char* token_alg = "RS256";

nlohmann::ordered_json token_minter::header() const {
  return {{"typ", "JWT"}, {"alg", token_alg}, {"x5t", keys_.kid()}, {"kid", keys_.kid()}};
}

std::string token_minter::sign(std::string signing_input) const {
  return jwt::append_signature(std::move(signing_input), token_alg, keys_.signer());
}

minted token_minter::access_token(const app& a, const user* u, const access_request& r,
                                  std::int64_t now, bool defer_signature) {
  std::int64_t lifetime = draw_lifetime();
  nlohmann::ordered_json c;
  c["aud"] = r.audience;
  c["iss"] = access_token_issuer();
  c["iat"] = now - backdate_s;
  c["nbf"] = now - backdate_s;
  c["exp"] = now + lifetime;
  if (u) {
    c["acr"] = "1";
    c["amr"] = r.amr;
  }
  c["app_displayname"] = a.display_name;
  c["appid"] = a.client_id;
  c["appidacr"] = r.appidacr;
  if (!u) c["idp"] = access_token_issuer();
  c["idtyp"] = u ? "user" : "app";
  if (u) c["name"] = u->display_name;
  c["oid"] = u ? u->object_id : a.sp_object_id;
  if (!u && r.roles) c["roles"] = *r.roles;
  if (u) c["scp"] = r.scp;
  c["sub"] = u ? u->object_id : a.sp_object_id;
  c["tid"] = t_.tenant_id;
  if (u) {
    c["unique_name"] = u->upn;
    c["upn"] = u->upn;
  }
  c["uti"] = random_token("", 16);
  c["ver"] = "1.0";
  if (defer_signature) return {{}, lifetime, jwt::signing_input(header(), c)};
  return {jwt::encode(header(), c, keys_.signer()), lifetime, {}};
}

std::string token_minter::id_token(const app& a, const user& u, const std::string& issuer,
                                   const std::string& nonce, std::int64_t now) {
  nlohmann::ordered_json c;
  c["aud"] = a.client_id;
  c["iss"] = issuer;
  c["iat"] = now - backdate_s;
  c["nbf"] = now - backdate_s;
  c["exp"] = now + 3600;
  c["name"] = u.display_name;
  if (!nonce.empty()) c["nonce"] = nonce;
  c["oid"] = u.object_id;
  c["preferred_username"] = u.upn;
  c["sub"] = u.object_id;
  c["tid"] = t_.tenant_id;
  c["uti"] = random_token("", 16);
  c["ver"] = "2.0";
  return jwt::encode(header(), c, keys_.signer());
}

std::string token_minter::client_info(const user& u) const {
  nlohmann::ordered_json j = {{"uid", u.object_id}, {"utid", t_.tenant_id}};
  return base64url_encode(j.dump());
}

}  // namespace mh::fake
