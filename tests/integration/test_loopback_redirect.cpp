// The loopback redirect listener over real sockets on 127.0.0.1: the authorization response
// accepted once with the right state and refused (CSRF) with another; other paths, methods,
// foreign Host headers, unparseable and over-long requests answered while it keeps waiting;
// stalled clients cut by the per-connection timeout; overall timeout and cancellation; and
// token_client::auth_code end to end over a scripted token endpoint (what it sends).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <map>
#include <thread>

#include "core/error.hpp"
#include "net/asio.hpp"
#include "oauth/pkce.hpp"
#include "oauth/providers.hpp"

using namespace mh;
using namespace mh::oauth;
using namespace std::chrono_literals;

namespace {

tcp::socket connect_to(net::io_context& io, std::uint16_t port) {
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({net::ip::address_v4::loopback(), port}, ec);
  EXPECT_FALSE(ec) << ec.message();
  timeval tv{10, 0};  // a safety net only: every read below ends because the listener answers or closes
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

std::string read_all(tcp::socket& s) {
  std::string out;
  char buf[4096];
  boost::system::error_code ec;
  while (!ec) {
    std::size_t n = s.read_some(net::buffer(buf), ec);
    out.append(buf, n);
  }
  return out;
}

// Writes `bytes` on a new connection and returns everything read until the listener closes.
std::string round_trip(std::uint16_t port, const std::string& bytes) {
  net::io_context io;
  auto s = connect_to(io, port);
  boost::system::error_code ec;
  net::write(s, net::buffer(bytes), ec);
  return read_all(s);
}

std::string get(std::uint16_t port, const std::string& target, const std::string& host = "localhost") {
  return round_trip(port, "GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                            "\r\nUser-Agent: test\r\nConnection: close\r\n\r\n");
}

}  // namespace

TEST(LoopbackRedirect, AcceptsTheCodeWithTheRightState) {
  loopback_redirect l;
  ASSERT_FALSE(l.listen());
  ASSERT_NE(l.port(), 0);
  EXPECT_EQ(l.redirect_uri(), "http://localhost:" + std::to_string(l.port()));
  EXPECT_EQ(l.redirect_uri("127.0.0.1"), "http://127.0.0.1:" + std::to_string(l.port()));
  std::string page;
  std::thread browser([&] { page = get(l.port(), "/?code=0.AXcode%2Fvalue&state=st-1&session_state=s"); });
  auto r = l.wait("st-1");
  browser.join();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.code.reveal(), "0.AXcode/value");
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200 OK\r\n")) << page;
  EXPECT_NE(page.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(page.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(page.find("You may close this window"), std::string::npos);
  EXPECT_EQ(page.find("0.AXcode"), std::string::npos);  // the page never shows the code
  // Once: a second wait is refused, and the port is closed.
  EXPECT_EQ(l.wait("st-1").ec, errc::internal);
}

TEST(LoopbackRedirect, OtherRequestsAreAnsweredAndIgnored) {
  loopback_options o;
  o.path = "/callback";
  loopback_redirect l(o);
  ASSERT_FALSE(l.listen());
  EXPECT_EQ(l.redirect_uri(), "http://localhost:" + std::to_string(l.port()) + "/callback");
  std::vector<std::string> pages;
  std::thread browser([&] {
    auto p = l.port();
    pages.push_back(get(p, "/favicon.ico"));
    pages.push_back(get(p, "/?code=c&state=st-1"));  // not the redirect path
    pages.push_back(round_trip(p, "POST /callback?code=c&state=st-1 HTTP/1.1\r\nHost: localhost\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n"));
    pages.push_back(get(p, "/callback?code=c&state=st-1", "attacker.example"));  // DNS rebinding
    pages.push_back(get(p, "/callback"));                                         // no response in it
    pages.push_back(get(p, "/callback?code=the-code&state=st-1", "127.0.0.1"));
  });
  auto r = l.wait("st-1");
  browser.join();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.code.reveal(), "the-code");
  ASSERT_EQ(pages.size(), 6u);
  EXPECT_TRUE(pages[0].starts_with("HTTP/1.1 404 ")) << pages[0];
  EXPECT_TRUE(pages[1].starts_with("HTTP/1.1 404 ")) << pages[1];
  EXPECT_TRUE(pages[2].starts_with("HTTP/1.1 405 ")) << pages[2];
  EXPECT_NE(pages[2].find("Allow: GET"), std::string::npos);
  EXPECT_TRUE(pages[3].starts_with("HTTP/1.1 400 ")) << pages[3];
  EXPECT_TRUE(pages[4].starts_with("HTTP/1.1 400 ")) << pages[4];
  EXPECT_TRUE(pages[5].starts_with("HTTP/1.1 200 ")) << pages[5];
}

TEST(LoopbackRedirect, OverLongAndMalformedRequestsDoNotStopIt) {
  loopback_redirect l;
  ASSERT_FALSE(l.listen());
  std::vector<std::string> pages;
  std::thread browser([&] {
    auto p = l.port();
    pages.push_back(get(p, "/?x=" + std::string(20'000, 'a')));  // request line beyond 8 KiB
    pages.push_back(round_trip(p, "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(9'000, 'b') +
                                    "\r\n\r\n"));
    static const char hello[] = "\x16\x03\x01\x02\x00 not http\r\n\r\n";  // a TLS client hello
    pages.push_back(round_trip(p, std::string(hello, sizeof hello - 1)));
    pages.push_back(round_trip(p, "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"));
    pages.push_back(get(p, "/?code=c&state=st-1"));
  });
  auto r = l.wait("st-1");
  browser.join();
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(pages.size(), 5u);
  EXPECT_TRUE(pages[0].starts_with("HTTP/1.1 431 ")) << pages[0].substr(0, 100);
  EXPECT_TRUE(pages[1].starts_with("HTTP/1.1 431 ")) << pages[1].substr(0, 100);
  EXPECT_TRUE(pages[2].starts_with("HTTP/1.1 400 ")) << pages[2].substr(0, 100);
  EXPECT_TRUE(pages[3].starts_with("HTTP/1.1 400 ")) << pages[3].substr(0, 100);
  EXPECT_TRUE(pages[4].starts_with("HTTP/1.1 200 ")) << pages[4].substr(0, 100);
}

TEST(LoopbackRedirect, StateMismatchIsRefused) {
  for (const char* query : {"code=injected-code&state=st-other", "code=injected-code"}) {
    loopback_redirect l;
    ASSERT_FALSE(l.listen());
    std::string page;
    std::thread browser([&] { page = get(l.port(), std::string("/?") + query); });
    auto r = l.wait("st-1");
    browser.join();
    EXPECT_FALSE(r.ok()) << query;
    EXPECT_EQ(r.ec, errc::bad_token_response) << query;
    EXPECT_TRUE(r.code.empty()) << query;
    EXPECT_NE(r.message.find("state"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find("cross-site request forgery"), std::string::npos) << r.message;
    EXPECT_EQ(r.message.find("injected-code"), std::string::npos) << r.message;
    EXPECT_TRUE(page.starts_with("HTTP/1.1 400 ")) << page;
  }
  loopback_redirect dup;  // a repeated state is malformed, never "one of them matches"
  ASSERT_FALSE(dup.listen());
  std::thread browser([&] { get(dup.port(), "/?code=c&state=st-1&state=st-1"); });
  auto r = dup.wait("st-1");
  browser.join();
  EXPECT_EQ(r.ec, errc::bad_token_response);
  EXPECT_NE(r.message.find("more than once"), std::string::npos) << r.message;
}

TEST(LoopbackRedirect, ErrorRedirectCarriesTheServersError) {
  loopback_redirect l;
  ASSERT_FALSE(l.listen());
  std::string page;
  std::thread browser([&] {
    page = get(l.port(), "/?error=consent_required&error_description=AADSTS65001%3A+No+consent+%3Cb%3Ex%3C%2Fb%3E"
                         "%0D%0ATrace+ID%3A+t&error_uri=https%3A%2F%2Flogin.example%2Ferror&state=st-1");
  });
  auto r = l.wait("st-1");
  browser.join();
  EXPECT_EQ(r.ec, errc::token_request_denied);
  EXPECT_EQ(r.error, "consent_required");
  EXPECT_EQ(r.error_description, "AADSTS65001: No consent <b>x</b>\r\nTrace ID: t");
  EXPECT_EQ(r.error_uri, "https://login.example/error");
  EXPECT_EQ(r.message, "the authorization server answered error=consent_required: AADSTS65001: No consent <b>x</b>");
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200 ")) << page;
  EXPECT_NE(page.find("consent_required: AADSTS65001: No consent &lt;b&gt;x&lt;/b&gt;"), std::string::npos) << page;
  EXPECT_EQ(page.find("<b>x"), std::string::npos);
}

TEST(LoopbackRedirect, StalledClientIsCutAndCannotBlockTheBrowser) {
  loopback_options o;
  o.read_timeout = 100ms;
  loopback_redirect l(o);
  ASSERT_FALSE(l.listen());
  std::string stalled_saw, idle_saw, page;
  std::thread browser([&] {
    net::io_context io;
    // Half a request, then nothing: the listener drops it after read_timeout, with no answer.
    auto half = connect_to(io, l.port());
    net::write(half, net::buffer(std::string("GET /?code=x&st")));
    stalled_saw = read_all(half) + "<closed>";
    // A connection that stays silent while the real redirect arrives on another one.
    auto idle = connect_to(io, l.port());
    page = get(l.port(), "/?code=c&state=st-1");
    idle_saw = read_all(idle) + "<closed>";  // closed when the wait ended
  });
  auto r = l.wait("st-1");
  browser.join();
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(stalled_saw, "<closed>");
  EXPECT_EQ(idle_saw, "<closed>");
  EXPECT_TRUE(page.starts_with("HTTP/1.1 200 ")) << page;
}

TEST(LoopbackRedirect, OverallTimeout) {
  loopback_options o;
  o.timeout = 30ms;
  loopback_redirect l(o);
  ASSERT_FALSE(l.listen());
  auto r = l.wait("st-1");
  EXPECT_EQ(r.ec, errc::timed_out);
  EXPECT_EQ(classify(r.ec), error_class::timeout);
  EXPECT_EQ(r.message, "no sign-in response reached http://127.0.0.1:" + std::to_string(l.port()) + "/ within 30 ms");
}

TEST(LoopbackRedirect, CancelFromAnotherThreadOrBeforeWaiting) {
  {
    loopback_redirect l;
    ASSERT_FALSE(l.listen());
    std::thread other([&] { l.cancel(); });
    auto r = l.wait("st-1");
    other.join();
    EXPECT_EQ(r.ec, std::errc::operation_canceled);
    EXPECT_FALSE(r.ok());
  }
  {
    loopback_redirect l;
    ASSERT_FALSE(l.listen());
    l.cancel();
    EXPECT_EQ(l.wait("st-1").ec, std::errc::operation_canceled);
  }
}

TEST(LoopbackRedirect, MisuseAndPortInUse) {
  loopback_redirect first;
  EXPECT_EQ(first.wait("st-1").ec, errc::internal);  // before listen()
  ASSERT_FALSE(first.listen());
  EXPECT_EQ(first.listen(), errc::config_invalid);   // twice
  EXPECT_EQ(first.wait("").ec, errc::internal);      // no state: nothing could be checked
  loopback_options o;
  o.port = first.port();
  loopback_redirect second(o);
  std::string why;
  EXPECT_EQ(second.listen(&why), errc::config_invalid);
  EXPECT_TRUE(why.starts_with("cannot listen on 127.0.0.1:" + std::to_string(o.port) + " for the redirect: ")) << why;
  EXPECT_EQ(second.port(), 0);
  o.path = "callback";
  EXPECT_EQ(loopback_redirect(o).listen(), errc::config_invalid);
}

// auth_code over a scripted token endpoint: what reaches the browser and the token endpoint.
TEST(AuthCodeFlow, SendsPkceStateAndTheSameRedirectUri) {
  std::vector<http_request> seen;
  http_client http({}, [&](const http_request& r) {
    seen.push_back(r);
    http_outcome o;
    o.response.status = 200;
    o.response.content_type = "application/json";
    o.response.body = R"({"token_type":"Bearer","expires_in":3599,"access_token":"at","refresh_token":"rt","scope":"s"})";
    return o;
  });
  token_client tc({"https://login.example/", "contoso.onmicrosoft.com", "client-1"}, http);
  auth_code_options o;
  o.scope = delegated_scope;
  o.login_hint = "alice@contoso.com";
  o.listener.timeout = 60s;  // a safety net if the navigation below fails
  std::string url;
  std::thread browser;
  auto res = tc.auth_code({}, o, [&](const std::string& u) {
    url = u;
    auto q = parse_query(u.substr(u.find('?') + 1));
    ASSERT_TRUE(q);
    std::map<std::string, std::string> m(q->begin(), q->end());
    std::string redirect = m["redirect_uri"];
    auto port = static_cast<std::uint16_t>(std::stoi(redirect.substr(redirect.rfind(':') + 1)));
    browser = std::thread([port, state = m["state"]] { get(port, "/?code=the-code&state=" + state); });
  });
  if (browser.joinable()) browser.join();
  ASSERT_TRUE(res.ok()) << res.message;
  EXPECT_EQ(res.tokens->refresh_token.reveal(), "rt");
  ASSERT_TRUE(url.starts_with("https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/authorize?")) << url;
  auto q = parse_query(url.substr(url.find('?') + 1));
  std::map<std::string, std::string> a(q->begin(), q->end());
  EXPECT_EQ(a["client_id"], "client-1");
  EXPECT_EQ(a["response_type"], "code");
  EXPECT_EQ(a["response_mode"], "query");
  EXPECT_EQ(a["scope"], delegated_scope);
  EXPECT_EQ(a["login_hint"], "alice@contoso.com");
  EXPECT_EQ(a["code_challenge_method"], "S256");
  EXPECT_EQ(a["state"].size(), 32u);
  EXPECT_TRUE(a["redirect_uri"].starts_with("http://localhost:")) << a["redirect_uri"];
  EXPECT_EQ(a.count("prompt"), 0u);

  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].url, "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/token");
  auto f = parse_query(seen[0].body);
  ASSERT_TRUE(f);
  std::map<std::string, std::string> t(f->begin(), f->end());
  EXPECT_EQ(t["grant_type"], "authorization_code");
  EXPECT_EQ(t["code"], "the-code");
  EXPECT_EQ(t["redirect_uri"], a["redirect_uri"]);
  EXPECT_EQ(t["client_id"], "client-1");
  EXPECT_EQ(t["scope"], delegated_scope);
  EXPECT_TRUE(valid_code_verifier(t["code_verifier"]));
  EXPECT_EQ(code_challenge_s256(t["code_verifier"]), a["code_challenge"]);
  EXPECT_EQ(t.count("client_secret"), 0u);  // a public client sends none
}

TEST(AuthCodeFlow, ListenerOutcomesBecomeTokenResults) {
  std::size_t posts = 0;
  http_client http({}, [&](const http_request&) {
    ++posts;
    return http_outcome{};
  });
  token_client tc({"https://login.example", "t", "c"}, http);
  auth_code_options o;
  o.scope = delegated_scope;
  o.redirect_host = "example.com";
  auto bad_host = tc.auth_code({}, o, [](const std::string&) { FAIL() << "no navigation"; });
  EXPECT_EQ(bad_host.ec, errc::config_invalid);
  o.redirect_host = "127.0.0.1";
  o.listener.timeout = 20ms;
  std::string url;
  auto late = tc.auth_code({}, o, [&](const std::string& u) { url = u; });
  EXPECT_EQ(late.ec, errc::timed_out) << late.message;
  EXPECT_NE(url.find("redirect_uri=http%3A%2F%2F127.0.0.1%3A"), std::string::npos) << url;
  // An error on the redirect: structured, and the token endpoint is never called.
  loopback_redirect l;
  ASSERT_FALSE(l.listen());
  std::thread browser;
  auto denied = tc.auth_code({}, o, l, [&](const std::string& u) {
    auto q = parse_query(u.substr(u.find('?') + 1));
    std::string state;
    for (const auto& [k, v] : *q)
      if (k == "state") state = v;
    browser = std::thread([&l, state] {
      get(l.port(), "/?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent.&state=" + state);
    });
  });
  if (browser.joinable()) browser.join();
  EXPECT_EQ(denied.ec, errc::token_request_denied);
  ASSERT_TRUE(denied.aad);
  EXPECT_EQ(denied.aad->code, 65004);
  EXPECT_EQ(denied.endpoint, "GET https://login.example/t/oauth2/v2.0/authorize");
  EXPECT_EQ(posts, 0u);
}
