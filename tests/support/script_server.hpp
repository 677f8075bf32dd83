// A scripted loopback server for integration tests (Dovecot's test_run_client_server):
// it accepts connections on 127.0.0.1 in its own thread and plays a script of steps per
// connection. The same TLS transport and line channel as the product are used in the
// server role, so real handshakes, STARTTLS and timeouts are exercised end to end.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/asio.hpp"

namespace mh::test {

struct step {
  enum class kind { send, expect, starttls, close, stall };
  kind k;
  std::string text;  // send: bytes; expect: prefix the client line must start with
};

inline step send(std::string s) { return {step::kind::send, std::move(s)}; }
inline step expect(std::string prefix) { return {step::kind::expect, std::move(prefix)}; }
inline step starttls() { return {step::kind::starttls, {}}; }
inline step hang_up() { return {step::kind::close, {}}; }
inline step stall() { return {step::kind::stall, {}}; }

class script_server {
 public:
  // `tls` null: plaintext server. `implicit_tls`: handshake before the script.
  script_server(std::vector<step> script, std::shared_ptr<ssl::context> tls, bool implicit_tls);
  ~script_server();
  std::uint16_t port() const { return port_; }
  // Lines the client sent, and script mismatches ("expected X, got Y").
  std::vector<std::string> received() const;
  std::vector<std::string> problems() const;

 private:
  net::awaitable<void> session(tcp::socket s);
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<step> script_;
  std::shared_ptr<ssl::context> tls_;
  bool implicit_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<std::string> received_, problems_;
  std::thread thread_;
};

// A temporary PKI for tests: a trusted CA with a localhost/127.0.0.1 server certificate,
// an untrusted CA with its own certificate, and a certificate for another host name.
struct test_pki {
  test_pki();
  ~test_pki();
  std::string dir;
  std::string ca_file;          // the trusted CA
  std::shared_ptr<ssl::context> good;      // localhost + 127.0.0.1, signed by the CA
  std::shared_ptr<ssl::context> untrusted; // localhost, signed by another CA
  std::shared_ptr<ssl::context> wrong_host;// "otherhost.test" only, signed by the CA
};

}  // namespace mh::test
