#include "identity/key_store.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/base64.hpp"
#include "net/pki.hpp"

namespace mh::fake {
namespace {

constexpr const char* stem = "token-signing";

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

key_store::key_store(jwt::signing_key key, std::string cert_pem)
    : key_(std::move(key)), cert_pem_(std::move(cert_pem)), kid_(jwt::x5t_sha1(cert_pem_)) {}

key_store key_store::load_or_create(const std::string& state_dir) {
  namespace fs = std::filesystem;
  std::string cert = state_dir + "/" + stem + ".pem";
  std::string key = state_dir + "/" + stem + "-key.pem";
  std::error_code ec;
  bool have_cert = fs::exists(cert, ec);
  bool have_key = fs::exists(key, ec);
  if (have_cert != have_key)
    throw std::runtime_error("incomplete token-signing key pair in " + state_dir + ": " +
                             (have_cert ? key : cert) + " is missing (delete " +
                             (have_cert ? cert : key) + " to generate a new pair)");
  if (!have_cert) {
    bool created = fs::create_directories(state_dir, ec);
    if (ec) throw std::runtime_error("cannot create state dir " + state_dir + ": " + ec.message());
    if (created) ::chmod(state_dir.c_str(), 0700);  // never loosen or tighten a user's own dir
    // Entra's signing certificates are self-signed for this subject.
    pki::cert_options o{"accounts.accesscontrol.windows.net", pki::key_type::rsa2048};
    o.lifetime = std::chrono::hours(24 * 365 * 5);
    pki::make_ca(state_dir, stem, o);
  }
  std::string cert_pem = read_file(cert);
  if (jwt::x5t_sha1(cert_pem).empty()) throw std::runtime_error(cert + " is not a certificate");
  jwt::signing_key k = jwt::signing_key::from_pem(read_file(key));
  auto from_cert = jwt::verify_key::from_pem(cert_pem);
  if (!from_cert) throw std::runtime_error(cert + " does not hold an RSA certificate");
  // Key and certificate must belong together, or every token would fail to verify.
  std::string probe = "mailharness key_store probe";
  if (!from_cert->verify("RS256", probe, k.sign("RS256", probe)))
    throw std::runtime_error(key + " does not match " + cert);
  return key_store(std::move(k), std::move(cert_pem));
}

nlohmann::ordered_json key_store::jwks(const std::string& issuer) const {
  auto pub = key_.public_jwk(kid_);
  auto der = jwt::cert_der(cert_pem_);
  nlohmann::ordered_json k;
  k["kty"] = "RSA";
  k["use"] = "sig";
  k["kid"] = kid_;
  k["x5t"] = kid_;
  k["n"] = pub["n"];
  k["e"] = pub["e"];
  k["x5c"] = nlohmann::ordered_json::array({base64_encode(der.value_or(""))});
  k["issuer"] = issuer;
  return {{"keys", nlohmann::ordered_json::array({k})}};
}

}  // namespace mh::fake
