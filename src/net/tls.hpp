// TLS contexts for clients and servers, and the mapping of OpenSSL verification results to
// the error vocabulary. TLS 1.2 is the minimum. Client verification (chain + host name) is
// on unless the user explicitly asks for `insecure`, which is recorded in tls_info.
#pragma once

#include <memory>
#include <string>
#include <system_error>

#include "net/asio.hpp"

namespace mh {

struct tls_client_options {
  std::string ca_file;    // empty: the system trust store
  bool insecure = false;  // no chain or host-name verification
};

// Throws std::runtime_error naming the file when the CA file cannot be loaded. A verifying
// context remembers the (certificate, host name) pairs it has verified, so later handshakes
// with the same server skip rebuilding and re-checking the chain (the validity period and
// the server's handshake signature are still checked every time).
std::shared_ptr<ssl::context> make_client_context(const tls_client_options& o);

// Client-side session resumption (`bench --tls-resumption`): the context keeps the newest
// session (TLS 1.3 ticket) any of its connections received, and every later client handshake
// through it offers that session. Thread-safe. Off unless enabled: a login normally measures
// a full handshake.
void enable_client_resumption(ssl::context& ctx);

// Server context from PEM files (certificate chain and private key).
std::shared_ptr<ssl::context> make_server_context(const std::string& cert_chain_file,
                                                  const std::string& key_file);

// Prepares `ssl` for a handshake with `host`: SNI (DNS names only), host-name or IP
// verification, and the stored session when resumption is enabled on its context. Returns
// false if OpenSSL refused the parameters.
bool set_client_peer(SSL* ssl, const std::string& host, bool verify);

// Maps a failed handshake to cert_untrusted / cert_hostname_mismatch / cert_expired /
// tls_handshake_failed, with a one-line detail.
std::error_code classify_handshake_failure(SSL* ssl, const std::string& asio_message,
                                           std::string& detail);

// Description of the negotiated session.
struct tls_info;
void describe_session(SSL* ssl, tls_info& out);

}  // namespace mh
