// The SASL mechanism table and client-side mechanisms (style-anchors rules 3 and 4).
//
// One table maps advertised names to `mech` values; advertisements (IMAP AUTH=, POP3 SASL,
// SMTP AUTH) parse into a `mech_set`. A `client_mech` runs one exchange and never knows
// which protocol carries it: the protocol FSM base64-frames what it returns.
//   XOAUTH2      Google/Microsoft: "user=U^Aauth=Bearer T^A^A" (exchange-facts §4.1)
//   OAUTHBEARER  RFC 7628: "n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A"
//   PLAIN/LOGIN  RFC 4616 / draft-murchison-sasl-login (detection and password tests)
// After the client's credentials, a challenge from the server is an error report (RFC 7628
// §3.2.2 JSON); the mechanism acknowledges it (XOAUTH2: empty, OAUTHBEARER: ^A) and keeps
// the JSON for the report.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/secret.hpp"

namespace mh::sasl {

enum class mech : std::uint32_t {
  none = 0,
  plain = 1u << 0,
  login = 1u << 1,
  xoauth2 = 1u << 2,
  oauthbearer = 1u << 3,
  cram_md5 = 1u << 4,
  ntlm = 1u << 5,
  gssapi = 1u << 6,
  external = 1u << 7,
  scram_sha_1 = 1u << 8,
  scram_sha_256 = 1u << 9,
};

using mech_set = std::uint32_t;
inline bool contains(mech_set s, mech m) { return (s & static_cast<std::uint32_t>(m)) != 0; }
inline void insert(mech_set& s, mech m) { s |= static_cast<std::uint32_t>(m); }

std::optional<mech> mech_from_name(std::string_view name);  // case-insensitive
std::string_view mech_name(mech m);                         // upper case, as on the wire
// Space-separated mechanism names (unknown names are ignored).
mech_set parse_mech_list(std::string_view names);
// "PLAIN XOAUTH2" for the set.
std::string format_mech_set(mech_set s);

enum class choice { automatic, xoauth2, oauthbearer, plain, login };
// What `choice` selects given the advertisement: automatic prefers OAUTHBEARER, then
// XOAUTH2. Returns mech::none when the wanted mechanism is not advertised.
mech choose(choice wanted, mech_set advertised);
// The mechanism an explicit choice names (ignoring the advertisement).
mech named(choice wanted);

struct credentials {
  std::string user;       // authorization identity: the mailbox to open
  secret_string token;    // OAuth access token (XOAUTH2, OAUTHBEARER)
  secret_string password; // PLAIN, LOGIN
  std::string host;       // OAUTHBEARER host=
  std::uint16_t port = 0; // OAUTHBEARER port=
};

struct step {
  secret_string response;  // raw bytes; the protocol base64-encodes them
  bool acknowledges_error = false;
};

class client_mech {
 public:
  virtual ~client_mech() = default;
  virtual mech id() const = 0;
  // Raw initial response; mechanisms that are not client-first return an empty one.
  virtual secret_string initial_response() const = 0;
  // Answers one decoded server challenge.
  virtual step on_challenge(std::string_view challenge) = 0;
  // "<XOAUTH2 user=alice@example.com token sha256:1a2b3c4d>": what transcripts show in
  // place of the credentials.
  virtual std::string describe() const = 0;
  // Marks that the initial response has been sent (inline or after an empty challenge).
  void mark_credentials_sent() { credentials_sent_ = true; }
  bool credentials_sent() const { return credentials_sent_; }
  // The error report the server sent, if any (RFC 7628 JSON for the OAuth mechanisms).
  const std::optional<std::string>& server_error() const { return server_error_; }

 protected:
  bool credentials_sent_ = false;
  std::optional<std::string> server_error_;
};

std::unique_ptr<client_mech> make_client_mech(mech m, const credentials& c);

// The exact client payloads (exposed for tests and the fake's compliance checks).
std::string xoauth2_payload(std::string_view user, std::string_view token);
std::string oauthbearer_payload(std::string_view user, std::string_view host, std::uint16_t port,
                                std::string_view token);

}  // namespace mh::sasl
