// The three protocol sessions of the fake Exchange Online. Each runs one accepted
// connection to its end; replies follow exchange-facts.md (fakes/mail/exchange_text.hpp),
// unless a fault overrides them.
#pragma once

#include "mail/session_io.hpp"

namespace mh::fake {

net::awaitable<void> run_imap_session(session_io& io);
net::awaitable<void> run_pop3_session(session_io& io);
net::awaitable<void> run_smtp_session(session_io& io);

// base64 of the UTF-16LE server name: the bracketed blob of Exchange greetings (§1.1).
std::string greeting_blob(const std::string& fqdn);

// Checks a SASL login and records the "<protocol>.auth" event (shared by the sessions).
struct auth_result;
auth_result check_and_record(session_io& io, std::string_view mech, std::string_view payload,
                             bool initial_response);

}  // namespace mh::fake
