// What a protocol client FSM needs to know about the login it performs.
#pragma once

#include <string>

#include "sasl/mechanism.hpp"
#include "sasl/protocol.hpp"

namespace mh {

struct client_params {
  sasl::credentials creds;                        // user, token, host/port for OAUTHBEARER
  sasl::choice mech = sasl::choice::automatic;
  sasl::form form = sasl::form::automatic;
  bool allow_unadvertised = false;  // try an explicit mechanism the server does not list
  bool starttls = false;            // upgrade a plaintext connection before authenticating
  bool probe = true;                // post-auth probe (EXAMINE INBOX / STAT / MAIL FROM+RSET)
  std::string send_test_to;         // SMTP: send a small test message to this address
  bool fetch = false;               // IMAP/POP3: after the probe, fetch the first message (if any)
  std::string ehlo_name = "localhost";
};

}  // namespace mh
