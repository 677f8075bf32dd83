#include "script_server.hpp"

#include <boost/asio/detached.hpp>
#include <cstdlib>
#include <filesystem>

#include "net/line_channel.hpp"
#include "net/pki.hpp"
#include "net/tcp_transport.hpp"
#include "net/tls.hpp"

namespace mh::test {

script_server::script_server(std::vector<step> script, std::shared_ptr<ssl::context> tls,
                             bool implicit_tls)
    : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
      script_(std::move(script)),
      tls_(std::move(tls)),
      implicit_(implicit_tls) {
  port_ = acceptor_.local_endpoint().port();
  net::co_spawn(
      io_,
      [this]() -> net::awaitable<void> {
        while (true) {
          auto [ec, s] = co_await acceptor_.async_accept(net::as_tuple(net::use_awaitable));
          if (ec) co_return;
          net::co_spawn(io_, session(std::move(s)), net::detached);
        }
      },
      net::detached);
  thread_ = std::thread([this] { io_.run(); });
}

script_server::~script_server() {
  io_.stop();
  thread_.join();
}

std::vector<std::string> script_server::received() const {
  std::lock_guard lock(mu_);
  return received_;
}

std::vector<std::string> script_server::problems() const {
  std::lock_guard lock(mu_);
  return problems_;
}

net::awaitable<void> script_server::session(tcp::socket s) {
  tcp_transport t(std::move(s), tls_, tcp_transport::role::server);
  t.set_timeout(std::chrono::seconds(10));
  if (implicit_) {
    if (auto ec = co_await t.handshake()) co_return;
  }
  line_channel ch(t, {1 << 20, false});
  for (const auto& st : script_) {
    switch (st.k) {
      case step::kind::send:
        if (auto cw = co_await ch.write(st.text); cw) co_return;
        break;
      case step::kind::expect: {
        auto r = co_await ch.read_line();
        if (r.ec) co_return;
        std::lock_guard lock(mu_);
        received_.push_back(r.line);
        if (!r.line.starts_with(st.text))
          problems_.push_back("expected '" + st.text + "', got '" + r.line + "'");
        break;
      }
      case step::kind::starttls:
        if (auto cw = co_await ch.start_tls(); cw) co_return;
        break;
      case step::kind::close: t.close(); co_return;
      case step::kind::stall: {
        char buf[256];
        t.set_timeout(std::chrono::seconds(30));
        while (true) {
          auto r = co_await t.read_some(buf);
          if (r.ec) break;
        }
        co_return;
      }
    }
  }
}

test_pki::test_pki() {
  char tmpl[] = "/tmp/mh-pki-XXXXXX";
  dir = ::mkdtemp(tmpl);
  pki::cert_options ca{"mailharness test CA"};
  pki::make_ca(dir, "ca", ca);
  pki::make_ca(dir, "other-ca", {"another CA"});
  pki::make_server_cert(dir, "good", dir, "ca", {{"localhost"}, {"127.0.0.1"}}, {"localhost"});
  pki::make_server_cert(dir, "untrusted", dir, "other-ca", {{"localhost"}, {"127.0.0.1"}},
                        {"localhost"});
  pki::make_server_cert(dir, "wrong", dir, "ca", {{"otherhost.test"}, {}}, {"otherhost.test"});
  ca_file = dir + "/ca.pem";
  good = make_server_context(dir + "/good.pem", dir + "/good-key.pem");
  untrusted = make_server_context(dir + "/untrusted.pem", dir + "/untrusted-key.pem");
  wrong_host = make_server_context(dir + "/wrong.pem", dir + "/wrong-key.pem");
}

test_pki::~test_pki() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace mh::test
