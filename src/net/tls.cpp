#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "core/error.hpp"
#include "net/transport.hpp"

namespace mh {
namespace {

std::string x509_name_line(X509_NAME* name) {
  if (!name) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// The newest session of a client context, kept in the SSL_CTX's ex_data.
struct stored_session {
  std::mutex mu;
  SSL_SESSION* session = nullptr;
};

void free_stored_session(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  auto* s = static_cast<stored_session*>(ptr);
  if (!s) return;
  if (s->session) SSL_SESSION_free(s->session);
  delete s;
}

int stored_session_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_stored_session);
  return index;
}

stored_session* stored_session_of(SSL_CTX* ctx) {
  return static_cast<stored_session*>(SSL_CTX_get_ex_data(ctx, stored_session_index()));
}

int keep_new_session(SSL* ssl, SSL_SESSION* session) {
  stored_session* s = stored_session_of(SSL_get_SSL_CTX(ssl));
  if (!s) return 0;
  std::lock_guard l(s->mu);
  if (s->session) SSL_SESSION_free(s->session);
  s->session = session;
  return 1;  // we keep the reference
}

void offer_stored_session(SSL* ssl) {
  stored_session* s = stored_session_of(SSL_get_SSL_CTX(ssl));
  if (!s) return;
  std::lock_guard l(s->mu);
  if (s->session && SSL_SESSION_is_resumable(s->session)) SSL_set_session(ssl, s->session);
}

// Verified certificates of a client context: (SHA-256 of the leaf's DER, host) pairs whose
// chain and name verified. A server presents the same certificate to every connection, and
// verifying it (building the chain, checking the CA's signature) is a large part of a
// handshake's CPU. Identical bytes verify identically; the validity period is checked again
// at every use. The TLS handshake's own proof (the server's CertificateVerify signature) is
// never skipped.
struct verified_certs {
  std::mutex mu;
  std::map<std::pair<std::string, std::string>, bool> ok;
  static constexpr std::size_t max_entries = 64;
};

int verified_certs_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<verified_certs*>(ptr);
      });
  return index;
}

std::string peer_name(SSL* ssl) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (const char* host = X509_VERIFY_PARAM_get0_host(param, 0)) return host;
  char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
  std::string out = ip ? ip : "";
  OPENSSL_free(ip);
  return out;
}

bool within_validity(X509* cert) {
  return X509_cmp_current_time(X509_get0_notBefore(cert)) < 0 && X509_cmp_current_time(X509_get0_notAfter(cert)) > 0;
}

int verify_with_cache(X509_STORE_CTX* xctx, void* arg) {
  auto* cache = static_cast<verified_certs*>(arg);
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  X509* leaf = X509_STORE_CTX_get0_cert(xctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!ssl || !leaf || X509_digest(leaf, EVP_sha256(), md, &len) != 1) return X509_verify_cert(xctx);
  std::pair<std::string, std::string> key{std::string(reinterpret_cast<char*>(md), len), peer_name(ssl)};
  {
    std::lock_guard l(cache->mu);
    if (cache->ok.count(key) && within_validity(leaf)) return 1;  // the store context's error stays X509_V_OK
  }
  int rc = X509_verify_cert(xctx);
  if (rc == 1) {
    std::lock_guard l(cache->mu);
    if (cache->ok.size() >= verified_certs::max_entries) cache->ok.clear();
    cache->ok[key] = true;
  }
  return rc;
}

}  // namespace

void enable_client_resumption(ssl::context& ctx) {
  SSL_CTX* c = ctx.native_handle();
  if (stored_session_of(c)) return;
  SSL_CTX_set_ex_data(c, stored_session_index(), new stored_session);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c, keep_new_session);
}

std::shared_ptr<ssl::context> make_client_context(const tls_client_options& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (o.insecure) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    auto* cache = new verified_certs;
    SSL_CTX_set_ex_data(ctx->native_handle(), verified_certs_index(), cache);
    SSL_CTX_set_cert_verify_callback(ctx->native_handle(), verify_with_cache, cache);
    if (o.ca_file.empty()) {
      ctx->set_default_verify_paths();
    } else {
      boost::system::error_code ec;
      ctx->load_verify_file(o.ca_file, ec);
      if (ec) throw std::runtime_error("cannot load CA file " + o.ca_file + ": " + ec.message());
    }
  }
  return ctx;
}

std::shared_ptr<ssl::context> make_server_context(const std::string& cert_chain_file,
                                                  const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* c = ctx->native_handle();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  // Idle sessions keep no TLS read/write buffers (a few KiB each when thousands are open).
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  ctx->use_certificate_chain_file(cert_chain_file);
  ctx->use_private_key_file(key_file, ssl::context::pem);
  // A self-signed root at the end of the file is not sent (RFC 8446 4.4.2: the client has it
  // already), as real servers do: it saves the client parsing a certificate per handshake.
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(c, &chain) == 1 && chain && sk_X509_num(chain) > 0) {
    X509* last = sk_X509_value(chain, sk_X509_num(chain) - 1);
    if (X509_check_issued(last, last) == X509_V_OK) X509_free(sk_X509_pop(chain));
  }
  return ctx;
}

bool set_client_peer(SSL* ssl, const std::string& host, bool verify) {
  bool ip = is_ip_literal(host);
  if (!ip && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) return false;
  offer_stored_session(ssl);
  if (!verify) return true;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  return X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1;
}

std::error_code classify_handshake_failure(SSL* ssl, const std::string& asio_message,
                                           std::string& detail) {
  long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
  if (vr != X509_V_OK) {
    detail = std::string("certificate verify failed: ") + X509_verify_cert_error_string(vr);
    switch (vr) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return make_error_code(errc::cert_hostname_mismatch);
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return make_error_code(errc::cert_expired);
      default:
        return make_error_code(errc::cert_untrusted);
    }
  }
  detail = asio_message;
  return make_error_code(errc::tls_handshake_failed);
}

void describe_session(SSL* ssl, tls_info& out) {
  out.active = true;
  out.version = SSL_get_version(ssl);
  out.resumed = SSL_session_reused(ssl) == 1;
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) out.cipher = SSL_CIPHER_get_name(c);
  int nid = SSL_get_negotiated_group(ssl);
  if (nid > 0) {
    const char* g = SSL_group_to_name(ssl, nid);
    if (g) out.group = g;
  }
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    out.peer_subject = x509_name_line(X509_get_subject_name(cert));
    out.peer_issuer = x509_name_line(X509_get_issuer_name(cert));
    X509_free(cert);
  }
  out.verified = SSL_get_verify_result(ssl) == X509_V_OK && !out.insecure;
}

}  // namespace mh
