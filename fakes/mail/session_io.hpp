// The I/O side of one fake mail session: the shared line channel over the server-role
// TLS transport, plus the fault hooks every command goes through. Protocol sessions
// (imap_session.cpp, pop3_session.cpp, smtp_session.cpp) use only this.
//
// Deadlines (mail_config): every call is one bounded step. Until the session authenticates,
// each step also ends at the login deadline (accept + login_timeout). A read covers the whole
// line, however slowly its bytes trickle in; a send covers the whole reply. When a deadline
// passes, the connection is cut (no further I/O succeeds) and the call reports
// errc::timed_out. Every 16th line read first yields to the other sessions (pipelined
// commands over TLS are otherwise read and answered without ever waiting). The server's
// admission control (mail_servers) learns of authentication through on_authenticated() and
// can evict() a session.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mail/mail_context.hpp"
#include "core/error.hpp"
#include "net/line_channel.hpp"
#include "net/tcp_transport.hpp"
#include "net/watchdog.hpp"

namespace mh::fake {

class session_io {
 public:
  session_io(tcp::socket s, mail_context& ctx, std::string_view protocol);

  net::awaitable<bool> tls_handshake();               // false: handshake failed
  net::awaitable<line_result> read_line(std::chrono::milliseconds timeout);
  net::awaitable<std::error_code> read_exact(std::size_t n, std::string& out,
                                             std::chrono::milliseconds timeout);
  net::awaitable<bool> send(std::string line);  // appends CRLF; false on failure
  net::awaitable<bool> send_raw(std::string bytes);
  net::awaitable<void> sleep(std::chrono::milliseconds d);
  net::awaitable<void> close();

  // The session logged in: lifts the login deadline and tells the server (once).
  void set_authenticated();
  bool authenticated() const { return authenticated_; }
  void on_authenticated(std::function<void()> f) { on_authenticated_ = std::move(f); }
  // A failed login: waits auth_failure_delay, sends `reply` (CRLF appended) and counts it.
  // At max_auth_failures it also says goodbye (IMAP `* BYE`, SMTP `421`; POP3 just closes)
  // and returns false: the caller ends the session. False as well when the reply cannot be
  // sent.
  net::awaitable<bool> login_failed(std::string reply);
  // Ends the session from outside (admission control): the connection is cut at once.
  void evict();

  // Applies the fault rules for `command`. Returns true when the fault answered or ended
  // the session (the caller must not handle the command). `tag` fills "{tag}" in replies.
  // Sets `closed()` when the fault disconnected.
  net::awaitable<bool> apply_fault(std::string_view command, std::string_view tag = {});
  // An expire_token fault seen for this command (seconds after authentication).
  std::optional<int> take_expiry_fault();

  bool closed() const { return closed_; }
  std::string peer() const { return peer_; }
  line_channel& channel() { return ch_; }
  mail_context& ctx() { return ctx_; }
  std::string_view protocol() const { return protocol_; }

 private:
  // The step's time: `timeout`, cut to what is left of the login deadline before login.
  std::chrono::milliseconds bound(std::chrono::milliseconds timeout) const;
  bool arm(std::chrono::milliseconds limit);  // starts a step's deadline; false: none left (cut)
  bool disarm();                              // ends it; true if it had passed
  void cut();                                 // no further I/O on the connection succeeds

  mail_context& ctx_;
  std::string protocol_;
  std::string peer_;
  tcp_transport t_;
  line_channel ch_;
  watchdog dog_;  // after t_: destroyed first
  std::chrono::steady_clock::time_point login_deadline_;
  bool authenticated_ = false;
  std::function<void()> on_authenticated_;
  std::size_t auth_failures_ = 0;
  static constexpr std::size_t yield_every = 16;  // command lines read between yields
  std::size_t reads_ = 0;
  bool closed_ = false;
  std::optional<int> expiry_fault_;
};

}  // namespace mh::fake
