// JWS compact serialisation, RS256/PS256 with OpenSSL 3 EVP, JWK and thumbprints.
// Keys live in shared_ptr<void> holding an EVP_PKEY* (see jwt.hpp) so the header stays
// free of OpenSSL includes.
#include "jwt/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "core/base64.hpp"

namespace mh::jwt {
namespace {

constexpr std::size_t max_token_size = 64 * 1024;
constexpr int min_rsa_bits = 2048;
constexpr int max_rsa_bits = 16384;

EVP_PKEY* pkey(const std::shared_ptr<void>& p) { return static_cast<EVP_PKEY*>(p.get()); }

std::shared_ptr<void> own(EVP_PKEY* p) {
  return std::shared_ptr<void>(p, [](void* q) { EVP_PKEY_free(static_cast<EVP_PKEY*>(q)); });
}

[[noreturn]] void fail(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error(what + ": " + buf);
}

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr read_bio(const std::string& s) {
  return bio_ptr(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

std::string bio_string(BIO* b) {
  char* data = nullptr;
  long len = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

x509_ptr read_cert(const std::string& pem) {
  auto b = read_bio(pem);
  X509* x = b ? PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr) : nullptr;
  ERR_clear_error();
  return x509_ptr(x);
}

bool is_rsa(EVP_PKEY* k) { return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA; }

bool acceptable_rsa(EVP_PKEY* k) {
  if (!is_rsa(k)) return false;
  int bits = EVP_PKEY_get_bits(k);
  return bits >= min_rsa_bits && bits <= max_rsa_bits;
}

// Padding for the algorithm; nullopt for anything but RS256/PS256 ("none" included).
std::optional<int> padding_for(std::string_view alg) {
  if (alg == "RS256") return RSA_PKCS1_PADDING;
  if (alg == "PS256") return RSA_PKCS1_PSS_PADDING;
  return std::nullopt;
}

struct md_ctx_deleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_deleter>;

// Sets padding (and the PSS salt length) on a digest-sign/verify context.
bool set_padding(EVP_PKEY_CTX* pctx, int padding, bool signing) {
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, padding) <= 0) return false;
  if (padding != RSA_PKCS1_PSS_PADDING) return true;
  // Sign with salt = hash length (RFC 7518 §3.5); verify accepts any salt length the
  // signature declares, as Entra and most JOSE libraries do.
  int salt = signing ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO;
  return EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0;
}

std::string bn_bytes(EVP_PKEY* k, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, param, &bn) != 1) fail("cannot read RSA parameter");
  std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

std::optional<nlohmann::json> decode_object(std::string_view part) {
  auto raw = base64url_decode(part);
  if (!raw) return std::nullopt;
  auto j = nlohmann::json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::string thumbprint(const std::string& cert_pem, const EVP_MD* md) {
  auto x = read_cert(cert_pem);
  if (!x) return {};
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x.get(), md, buf, &n) != 1) return {};
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(buf), n));
}

}  // namespace

std::optional<token_parts> decode(std::string_view compact, std::string* why) {
  auto no = [&](const char* reason) -> std::optional<token_parts> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (compact.size() > max_token_size) return no("token longer than 64 KiB");
  auto d1 = compact.find('.');
  if (d1 == std::string_view::npos) return no("not a JWT: opaque token (no '.' separators)");
  auto d2 = compact.find('.', d1 + 1);
  if (d2 == std::string_view::npos || compact.find('.', d2 + 1) != std::string_view::npos)
    return no("not a JWT: expected three '.'-separated parts");
  token_parts t;
  auto header = decode_object(compact.substr(0, d1));
  if (!header) return no("header is not base64url-encoded JSON object");
  auto claims = decode_object(compact.substr(d1 + 1, d2 - d1 - 1));
  if (!claims) return no("claims are not a base64url-encoded JSON object");
  auto sig = base64url_decode(compact.substr(d2 + 1));
  if (!sig) return no("signature is not base64url");
  t.header = std::move(*header);
  t.claims = std::move(*claims);
  t.signing_input = std::string(compact.substr(0, d2));
  t.signature = std::move(*sig);
  return t;
}

signing_key signing_key::generate(int bits) {
  EVP_PKEY* k = EVP_RSA_gen(static_cast<unsigned int>(bits));
  if (!k) fail("RSA key generation failed");
  signing_key s;
  s.key_ = own(k);
  return s;
}

signing_key signing_key::from_pem(const std::string& pem) {
  auto b = read_bio(pem);
  EVP_PKEY* k = b ? PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!k) fail("cannot parse private key");
  signing_key s;
  s.key_ = own(k);
  if (!is_rsa(k)) throw std::runtime_error("signing key is not an RSA key");
  return s;
}

std::string signing_key::private_pem() const {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(b.get(), pkey(key_), nullptr, nullptr, 0, nullptr, nullptr))
    fail("cannot write private key");
  return bio_string(b.get());
}

std::string signing_key::public_pem() const {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PUBKEY(b.get(), pkey(key_))) fail("cannot write public key");
  return bio_string(b.get());
}

std::string signing_key::sign(std::string_view alg, std::string_view input) const {
  auto padding = padding_for(alg);
  if (!padding) throw std::invalid_argument("unsupported JWS algorithm: " + std::string(alg));
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey(key_)) != 1 ||
      !set_padding(pctx, *padding, true))
    fail("signing setup failed");
  std::size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1) fail("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     input.size()) != 1)
    fail("signing failed");
  sig.resize(len);
  return sig;
}

nlohmann::json signing_key::public_jwk(const std::string& kid) const {
  return {{"kty", "RSA"},
          {"use", "sig"},
          {"kid", kid},
          {"n", base64url_encode(bn_bytes(pkey(key_), OSSL_PKEY_PARAM_RSA_N))},
          {"e", base64url_encode(bn_bytes(pkey(key_), OSSL_PKEY_PARAM_RSA_E))}};
}

verify_key signing_key::public_key() const {
  // A copy holding only the public half: round trip through SubjectPublicKeyInfo DER.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey(key_), &der);
  if (len <= 0) fail("cannot export public key");
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, len);
  OPENSSL_free(der);
  if (!pub) fail("cannot import public key");
  verify_key v;
  v.key_ = own(pub);
  return v;
}

std::optional<verify_key> verify_key::from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object() || jwk.value("kty", "") != "RSA") return std::nullopt;
  if (!jwk.contains("n") || !jwk["n"].is_string() || !jwk.contains("e") || !jwk["e"].is_string())
    return std::nullopt;
  auto n = base64url_decode(jwk["n"].get<std::string>());
  auto e = base64url_decode(jwk["e"].get<std::string>());
  if (!n || !e || n->empty() || e->empty() || e->size() > 8) return std::nullopt;
  auto bn = [](const std::string& s) {
    return BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()),
                     nullptr);
  };
  BIGNUM* bn_n = bn(*n);
  BIGNUM* bn_e = bn(*e);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM* params = nullptr;
  EVP_PKEY* k = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  if (bn_n && bn_e && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
      (params = OSSL_PARAM_BLD_to_param(bld)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  BN_free(bn_n);
  BN_free(bn_e);
  ERR_clear_error();
  if (!k) return std::nullopt;
  verify_key v;
  v.key_ = own(k);
  if (!acceptable_rsa(k)) return std::nullopt;
  return v;
}

std::optional<verify_key> verify_key::from_pem(const std::string& pem) {
  EVP_PKEY* k = nullptr;
  if (auto b = read_bio(pem)) k = PEM_read_bio_PUBKEY(b.get(), nullptr, nullptr, nullptr);
  if (!k) {
    if (auto x = read_cert(pem)) k = X509_get_pubkey(x.get());
  }
  ERR_clear_error();
  if (!k) return std::nullopt;
  verify_key v;
  v.key_ = own(k);
  if (!acceptable_rsa(k)) return std::nullopt;
  return v;
}

bool verify_key::verify(std::string_view alg, std::string_view input,
                        std::string_view signature) const {
  auto padding = padding_for(alg);
  if (!padding || !key_) return false;
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey(key_)) == 1 &&
            set_padding(pctx, *padding, false) &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ERR_clear_error();
  return ok;
}

namespace {

template <class Json>
std::string encode_any(const Json& header, const Json& claims, const signing_key& key) {
  std::string alg = header.contains("alg") && header["alg"].is_string()
                        ? header["alg"].template get<std::string>()
                        : std::string();
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  return input + "." + base64url_encode(key.sign(alg, input));
}

}  // namespace

std::string signing_input(const nlohmann::ordered_json& header, const nlohmann::ordered_json& claims) {
  return base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
}

std::string append_signature(std::string input, std::string_view alg, const signing_key& key) {
  std::string sig = base64url_encode(key.sign(alg, input));
  input += '.';
  input += sig;
  return input;
}

std::string encode(const nlohmann::json& header, const nlohmann::json& claims,
                   const signing_key& key) {
  return encode_any(header, claims, key);
}

std::string encode(const nlohmann::ordered_json& header, const nlohmann::ordered_json& claims,
                   const signing_key& key) {
  return encode_any(header, claims, key);
}

bool verify(const token_parts& t, const verify_key& key) {
  auto alg = t.header.find("alg");
  if (alg == t.header.end() || !alg->is_string()) return false;
  return key.verify(alg->get<std::string>(), t.signing_input, t.signature);
}

std::optional<std::string> cert_der(const std::string& cert_pem) {
  auto x = read_cert(cert_pem);
  if (!x) return std::nullopt;
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string x5t_sha1(const std::string& cert_pem) { return thumbprint(cert_pem, EVP_sha1()); }
std::string x5t_sha256(const std::string& cert_pem) { return thumbprint(cert_pem, EVP_sha256()); }

}  // namespace mh::jwt
