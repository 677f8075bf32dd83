// Exchange Online's wire strings (exchange-facts.md §1-§3, §10), as data. The fake's
// sessions answer with these unless a fault overrides them.
#pragma once

#include <string_view>

namespace mh::fake::text {

// IMAP (§1)
inline constexpr const char* imap_greeting_prefix =
    "* OK The Microsoft Exchange IMAP4 service is ready. [";
inline constexpr const char* imap_caps_pre =
    "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN IDLE "
    "NAMESPACE LITERAL+";
inline constexpr const char* imap_caps_post =
    "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CLIENTACCESSRULES "
    "CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE NAMESPACE LITERAL+";
inline constexpr const char* imap_auth_ok = "OK AUTHENTICATE completed.";
inline constexpr const char* imap_auth_failed = "NO AUTHENTICATE failed.";
inline constexpr const char* imap_login_failed = "NO LOGIN failed.";
inline constexpr const char* imap_not_connected = "BAD User is authenticated but not connected.";
inline constexpr const char* imap_bye_not_connected = "* BYE Connection closed. 14";
inline constexpr const char* imap_bye_expired = "* BYE Session invalidated - AccessTokenExpired";
inline constexpr const char* imap_bye_logout = "* BYE Microsoft Exchange Server IMAP4 server signing off.";
inline constexpr const char* imap_arg_error = "BAD Command Argument Error. 11";
inline constexpr const char* imap_command_error = "BAD Command Error. 10";  // unverified text
// Exchange Online's forced close (§1.5), used after too many failed logins (when Exchange
// closes and with what text is unverified).
inline constexpr const char* imap_bye_auth_failures = "* BYE Connection is closed. 13";

// POP3 (§2)
inline constexpr const char* pop3_greeting_prefix = "+OK The Microsoft Exchange POP3 service is ready. [";
inline constexpr const char* pop3_auth_ok = "+OK User successfully authenticated.";
inline constexpr const char* pop3_auth_failed =
    "-ERR Authentication failure: unknown user name or bad password.";
inline constexpr const char* pop3_protocol_error = "-ERR Protocol error. Connection is closed. 10";
inline constexpr const char* pop3_not_valid = "-ERR Command is not valid in this state.";
inline constexpr const char* pop3_bye = "+OK Microsoft Exchange Server POP3 server signing off.";

// SMTP (§3)
inline constexpr const char* smtp_auth_ok = "235 2.7.0 Authentication successful";
inline constexpr const char* smtp_auth_failed = "535 5.7.3 Authentication unsuccessful";
inline constexpr const char* smtp_auth_disabled_tenant =
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.";
inline constexpr const char* smtp_auth_disabled_mailbox =
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
    "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.";
inline constexpr const char* smtp_not_authenticated =
    "530 5.7.57 Client not authenticated to send mail.";
inline constexpr const char* smtp_send_as_denied =
    "550 5.7.60 SMTP; Client does not have permissions to send as this sender";
inline constexpr const char* smtp_thread_limit =
    "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded";
inline constexpr const char* smtp_unrecognized_auth = "504 5.7.4 Unrecognized authentication type";
// Exchange Server's (on-premises) wording for its error limit; unverified for Exchange Online.
inline constexpr const char* smtp_too_many_errors =
    "421 4.7.0 Too many errors on this connection, closing transmission channel";

// Refusal when every one of the fake's sessions has authenticated (mail_servers.hpp). §3.6
// names `421 4.3.2` for too many connections (unverified for SMTP AUTH); the SMTP text is
// Exchange Server's (on-premises) connection-limit reply, the IMAP and POP3 texts are the
// fake's own (Exchange Online's are not recorded).
inline constexpr const char* imap_bye_busy = "* BYE Too many connections, try again later.";
inline constexpr const char* pop3_busy = "-ERR Too many connections, try again later.";
inline constexpr const char* smtp_busy =
    "421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, "
    "closing transmission channel";

}  // namespace mh::fake::text
