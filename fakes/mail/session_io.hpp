// The I/O side of one fake mail session: the shared line channel over the server-role
// TLS transport, plus the fault hooks every command goes through. Protocol sessions
// (imap_session.cpp, pop3_session.cpp, smtp_session.cpp) use only this.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mail/mail_context.hpp"
#include "core/error.hpp"
#include "net/line_channel.hpp"
#include "net/tcp_transport.hpp"

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
  mail_context& ctx_;
  std::string protocol_;
  std::string peer_;
  tcp_transport t_;
  line_channel ch_;
  bool closed_ = false;
  std::optional<int> expiry_fault_;
};

}  // namespace mh::fake
