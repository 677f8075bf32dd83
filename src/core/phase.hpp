// The phases of one login (DESIGN §6). Every timing, timeout message and failure names
// one of these.
#pragma once

#include <array>
#include <string_view>

namespace mh {

enum class phase {
  token,        // token acquisition (cache hit or a token request), when the login needs one
  resolve,
  connect,
  tls,          // implicit TLS handshake
  greeting,
  capability,   // CAPABILITY / CAPA / EHLO
  starttls,     // STARTTLS / STLS command
  tls_upgrade,  // handshake after STARTTLS
  capability2,  // capabilities again after the TLS upgrade
  auth,
  capability3,  // capabilities after authentication (IMAP)
  probe,        // post-auth probe: EXAMINE INBOX / STAT / MAIL FROM + RSET
  fetch,        // optional: the first message (IMAP FETCH 1 BODY.PEEK[], POP3 RETR 1)
  send,         // optional test message
  logout,
};

inline constexpr std::size_t phase_count = 15;

inline constexpr std::array<std::string_view, phase_count> phase_names = {
    "token",       "resolve",     "connect", "tls",        "greeting", "capability", "starttls", "tls_upgrade",
    "capability2", "auth",    "capability3", "probe",   "fetch",      "send",       "logout"};

constexpr std::string_view phase_name(phase p) noexcept {
  return phase_names[static_cast<std::size_t>(p)];
}

}  // namespace mh
