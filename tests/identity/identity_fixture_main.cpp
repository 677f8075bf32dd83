// mh_identity_fixture: the fake identity platform as a process, for interop tests with real
// OAuth clients (tests/interop/test_msal.py) until `mailharness fake` exists. Serves the
// test tenant (tests/identity/test_tenant.hpp) on 127.0.0.1, any free port, over a PKI
// created in <state_dir>; writes <ready_file> (JSON, 0600, atomically) once listening; runs
// until stdin reaches EOF or SIGTERM/SIGINT arrives.
//
// usage: mh_identity_fixture <state_dir> <ready_file>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <openssl/evp.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "identity/identity_server.hpp"
#include "jwt/jwt.hpp"
#include "net/pki.hpp"
#include "net/tls.hpp"
#include "test_tenant.hpp"

using namespace mh;
namespace idp = mh::test::idp;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_private(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write " + tmp);
  ::close(fd);
  std::filesystem::rename(tmp, path);
}

std::string sha1_hex(const std::string& cert_pem) {
  auto der = jwt::cert_der(cert_pem).value_or("");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(der.data(), der.size(), md, &n, EVP_sha1(), nullptr);
  std::string out;
  char h[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(h, sizeof h, "%02X", md[i]);
    out += h;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: mh_identity_fixture <state_dir> <ready_file>\n";
    return 2;
  }
  try {
    std::string dir = argv[1];
    std::filesystem::create_directories(dir);
    pki::make_ca(dir, "ca", {"mailharness fixture CA"});
    pki::make_server_cert(dir, "server", dir, "ca", {{"localhost"}, {"127.0.0.1"}}, {"localhost"});
    pki::make_ca(dir, "client", {"mailharness fixture client", pki::key_type::rsa2048});
    std::string client_cert = read_file(dir + "/client.pem");

    fake::tenant tenant = idp::make_test_tenant(client_cert);
    fake::event_log events;
    auto keys = fake::key_store::load_or_create(dir + "/identity");
    net::io_context io;
    fake::identity_server server(io, tenant, events, keys,
                                 make_server_context(dir + "/server.pem", dir + "/server-key.pem"));

    nlohmann::ordered_json ready;
    ready["version"] = 1;
    ready["pid"] = ::getpid();
    ready["port"] = server.port();
    ready["ca_file"] = std::filesystem::absolute(dir + "/ca.pem").string();
    ready["tenant_id"] = idp::tenant_id;
    ready["tenant_domain"] = idp::domain;
    ready["authority"] = server.authority();
    ready["token_endpoint"] = server.token_endpoint();
    ready["control"] = server.control_url();
    ready["access_token_issuer"] = server.access_token_issuer();
    ready["confidential"] = {{"client_id", idp::good_app},
                             {"client_secret", idp::good_secret},
                             {"sp_object_id", idp::good_sp},
                             {"certificate", {{"cert_file", std::filesystem::absolute(dir + "/client.pem").string()},
                                              {"key_file", std::filesystem::absolute(dir + "/client-key.pem").string()},
                                              {"thumbprint", sha1_hex(client_cert)}}},
                             {"roles", {"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"}}};
    ready["public"] = {{"client_id", idp::public_app}};
    ready["users"] = {{{"upn", idp::alice}, {"password", idp::alice_password}}};

    net::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server.stop();
      io.stop();
    });
    // EOF on stdin (the parent went away or closed the pipe) also stops the fixture.
    std::thread([&io] {
      char buf[256];
      while (::read(0, buf, sizeof buf) > 0) {
      }
      net::post(io, [&io] { io.stop(); });
    }).detach();

    write_private(argv[2], ready.dump(2) + "\n");
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mh_identity_fixture: " << e.what() << "\n";
    return 3;
  }
}
