// A small local PKI: a CA and server certificates signed by it, as PEM files. The fake
// creates one in its state dir on first start; tests create throw-away ones. Certificates
// carry subjectAltName DNS and IP entries (many clients check DNS names only).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace mh::pki {

enum class key_type { ec_p256, rsa2048 };

struct subject_names {
  std::vector<std::string> dns;  // e.g. {"localhost"}
  std::vector<std::string> ips;  // e.g. {"127.0.0.1"}
};

struct cert_options {
  std::string common_name;
  key_type key = key_type::ec_p256;
  std::chrono::seconds not_before_offset{-3600};  // relative to now
  std::chrono::seconds lifetime{std::chrono::hours(24 * 825)};
};

// Writes <dir>/<stem>.pem and <dir>/<stem>-key.pem (key mode 0600) for a self-signed CA.
// Throws std::runtime_error with the OpenSSL reason on failure.
void make_ca(const std::string& dir, const std::string& stem, const cert_options& o);

// Writes <dir>/<stem>.pem (leaf then CA: a full chain) and <dir>/<stem>-key.pem, signed by
// the CA in <ca_dir>/<ca_stem>.pem.
void make_server_cert(const std::string& dir, const std::string& stem, const std::string& ca_dir,
                      const std::string& ca_stem, const subject_names& names,
                      const cert_options& o);

}  // namespace mh::pki
