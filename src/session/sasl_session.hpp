// The SASL half of a protocol client, written once for IMAP, POP3 and SMTP: chooses the
// mechanism from the advertisement, builds the AUTH command (with or without initial
// response, per the protocol's parameters) and answers continuation challenges. Protocol
// FSMs supply only the command prefix and the continuation text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "sasl/mechanism.hpp"
#include "sasl/protocol.hpp"
#include "session/client_params.hpp"

namespace mh {

struct wire_line {
  std::string wire;   // with CRLF
  std::string shown;  // transcript form, credentials replaced by a stand-in
};

class sasl_session {
 public:
  // Chooses the mechanism. `known` is false when the server gave no advertisement (POP3
  // without CAPA); then an explicit choice is tried and `auto` falls back to XOAUTH2.
  // Errors: mech_unavailable (message lists what the server offers).
  std::error_code select(const client_params& p, sasl::mech_set advertised, bool known,
                         std::string& message);

  // The AUTH command: `prefix` is e.g. "A002 AUTHENTICATE" or "AUTH".
  wire_line command(std::string_view prefix, const sasl::protocol_params& proto,
                    sasl::form form, bool ir_advertised);

  // Answers a continuation whose text (after "+ " or "334 ") is `challenge_b64`.
  // nullopt when the challenge is not valid base64 (the peer broke the protocol).
  std::optional<wire_line> answer(std::string_view challenge_b64);

  sasl::mech chosen() const { return chosen_; }
  bool advertised() const { return advertised_; }
  bool used_initial_response() const { return used_ir_; }
  const std::optional<std::string>& server_error() const;

 private:
  std::unique_ptr<sasl::client_mech> mech_;
  sasl::mech chosen_ = sasl::mech::none;
  bool advertised_ = true;
  bool used_ir_ = false;
};

}  // namespace mh
