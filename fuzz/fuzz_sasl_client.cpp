// Client-side SASL (src/sasl/mechanism.*, src/sasl/protocol.*, session/sasl_session.*):
// building the XOAUTH2 / OAUTHBEARER payloads and answering the server's challenges.
//
// Byte 0 bit 0 picks the mode.
// Round trip (bit 0 clear): bytes 1-2 are the lengths of user and host, bytes 3-4 the port,
//   then user, host and token. Whenever they are within the SASL grammar (no ^A in user or
//   host, a non-empty user for XOAUTH2, an RFC 6750 b64token), the server-side decoder
//   (sasl/decode.hpp) gives them back exactly from what the client builds, and calls the
//   payload canonical.
// Challenges (bit 0 set): bit 1 OAUTHBEARER else XOAUTH2, bits 2-3 form, bit 4 IMAP else SMTP
//   parameters, bit 5 SASL-IR advertised. The first input line is the server's mechanism
//   list, each further line one continuation text (base64 as after "+ " / "334 ").
//   Invariants: the mechanism list parses to the same set after formatting; the AUTH line
//   is "AUTH <MECH>[ <base64 payload>]" + CRLF; an answer exists exactly when the challenge
//   is base64 (trailing spaces ignored); the first answer of the two-step form carries the
//   payload, every later one acknowledges an error report (OAUTHBEARER ^A, XOAUTH2 empty)
//   and keeps the decoded challenge as the server's error; the token and the base64
//   payload never appear in what the transcript shows.
// fuzz-runs: 25000
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "sasl/decode.hpp"
#include "sasl/mechanism.hpp"
#include "sasl/protocol.hpp"
#include "session/sasl_session.hpp"

namespace {

using namespace mh;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool b64token(std::string_view t) {  // RFC 6750 §2.1: 1*( ALPHA / DIGIT / "-._~+/" ) *"="
  std::size_t i = 0;
  auto tokenchar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
  };
  while (i < t.size() && tokenchar(t[i])) ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=') ++i;
  return i == t.size();
}

void round_trip(std::string_view in) {
  if (in.size() < 4) return;
  std::size_t ulen = static_cast<std::uint8_t>(in[0]), hlen = static_cast<std::uint8_t>(in[1]);
  auto port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(in[2]) << 8 |
                                         static_cast<std::uint8_t>(in[3]));
  in.remove_prefix(4);
  if (ulen + hlen > in.size()) return;
  std::string_view user = in.substr(0, ulen), host = in.substr(ulen, hlen);
  std::string_view token = in.substr(ulen + hlen);
  if (user.find('\x01') != std::string_view::npos || host.find('\x01') != std::string_view::npos ||
      !b64token(token))
    return;

  if (!user.empty()) {
    auto x = sasl::decode_xoauth2(sasl::xoauth2_payload(user, token));
    check(x && x->user == user && x->token == token && x->canonical);
  }
  auto o = sasl::decode_oauthbearer(sasl::oauthbearer_payload(user, host, port, token));
  check(o && o->user == user && o->token == token && o->host == host && o->canonical);
  check(o->port == (port ? std::to_string(port) : std::string()));
}

void challenges(std::uint8_t cfg, std::string_view in) {
  static const std::string token = "eyJ0eXAiOiJKV1QifQ.fz-SECRET-5e1d.c2ln";
  client_params p;
  p.creds.user = "alice@contoso.com";
  p.creds.token = secret_string(token);
  p.creds.host = "outlook.office365.com";
  p.creds.port = 993;
  p.mech = (cfg & 0x02) ? sasl::choice::oauthbearer : sasl::choice::xoauth2;
  p.allow_unadvertised = true;
  static constexpr sasl::form forms[] = {sasl::form::automatic, sasl::form::initial_response,
                                         sasl::form::two_step, sasl::form::automatic};
  auto form = forms[(cfg >> 2) & 3];
  const auto& proto = (cfg & 0x10) ? sasl::imap_params : sasl::smtp_params;

  auto nl = in.find('\n');
  std::string_view adv = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
  sasl::mech_set set = sasl::parse_mech_list(adv);
  check(sasl::parse_mech_list(sasl::format_mech_set(set)) == set);
  sasl::mech autom = sasl::choose(sasl::choice::automatic, set);
  check(autom == (sasl::contains(set, sasl::mech::oauthbearer) ? sasl::mech::oauthbearer
                  : sasl::contains(set, sasl::mech::xoauth2)   ? sasl::mech::xoauth2
                                                               : sasl::mech::none));

  sasl_session s;
  std::string message;
  check(!s.select(p, set, true, message));
  sasl::mech m = s.chosen();
  check(m == sasl::named(p.mech));
  check(s.advertised() == sasl::contains(set, m));
  const auto& cr = p.creds;
  std::string payload = m == sasl::mech::oauthbearer
                            ? sasl::oauthbearer_payload(cr.user, cr.host, cr.port, token)
                            : sasl::xoauth2_payload(cr.user, token);
  std::string b64 = base64_encode(payload);
  auto secret_free = [&](const std::string& shown) {
    check(shown.find(token) == std::string::npos && shown.find(b64) == std::string::npos);
  };

  auto cmd = s.command("AUTH", proto, form, (cfg & 0x20) != 0);
  std::string head = "AUTH " + std::string(sasl::mech_name(m));
  check(cmd.wire == (s.used_initial_response() ? head + " " + b64 : head) + "\r\n");
  secret_free(cmd.shown);
  bool sent = s.used_initial_response();

  while (!in.empty()) {
    nl = in.find('\n');
    std::string_view text = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    std::string_view trimmed = text;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
    auto decoded = trimmed.empty() ? std::optional<std::string>("") : base64_decode(trimmed);
    auto a = s.answer(text);
    check(a.has_value() == decoded.has_value());
    if (!a) continue;
    secret_free(a->shown);
    if (!sent) {
      check(a->wire == b64 + "\r\n");
      sent = true;
    } else {
      check(a->wire == (m == sasl::mech::oauthbearer ? "AQ==\r\n" : "\r\n"));
      check(s.server_error() && *s.server_error() == *decoded);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) challenges(data[0], rest);
  else round_trip(rest);
  return 0;
}
