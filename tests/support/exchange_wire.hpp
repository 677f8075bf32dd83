// Exchange Online wire strings from exchange-facts.md (§1-§3), used as test input so the
// clients are tested against what the real service sends.
#pragma once

#include <string>
#include <vector>

namespace mh::test::exo {

// §1.1: blob = base64(UTF-16LE "MWHPR21CA0060.namprd21.prod.outlook.com")
inline const std::string imap_greeting =
    "* OK The Microsoft Exchange IMAP4 service is ready. "
    "[TQBXAEgAUABSADIAMQBDAEEAMAAwADYAMAAuAG4AYQBtAHAAcgBkADIAMQAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]\r\n";
inline const std::string imap_caps_pre =
    "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT CHILDREN "
    "IDLE NAMESPACE LITERAL+\r\n";
inline const std::string imap_caps_post =
    "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT "
    "CLIENTACCESSRULES CLIENTNETWORKPRESENCELOCATION BACKENDAUTHENTICATE CHILDREN IDLE "
    "NAMESPACE LITERAL+\r\n";
inline const std::string imap_examine_ok =
    "* 3 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r\n"
    "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n* OK [UIDVALIDITY 14] UIDVALIDITY value\r\n"
    "* OK [UIDNEXT 4] The next unique identifier value\r\n";
inline const std::string imap_bye = "* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n";

inline const std::string pop3_greeting =
    "+OK The Microsoft Exchange POP3 service is ready. "
    "[UwBDADEAUABSADgAMABDAEEAMAAxADAANQAuAGwAYQBtAHAAcgBkADgAMAAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]\r\n";
inline const std::string pop3_capa = "+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n";

inline const std::string smtp_greeting =
    "220 ZR2P278CA0019.outlook.office365.com Microsoft ESMTP MAIL Service ready at "
    "Wed, 28 Sep 2022 16:23:28 +0000 [08DCE8B62813AB2B]\r\n";
inline const std::string smtp_ehlo_pre =
    "250-ZR2P278CA0019.outlook.office365.com Hello [203.0.113.9]\r\n250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-8BITMIME\r\n"
    "250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
inline const std::string smtp_ehlo_post =
    "250-ZR2P278CA0019.outlook.office365.com Hello [203.0.113.9]\r\n250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-AUTH LOGIN XOAUTH2\r\n"
    "250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";

// One successful XOAUTH2 login, the server's side: segment 0 is the greeting, segment i
// answers the client's i-th command (memory_transport.hpp).
inline std::vector<std::string> imap_login_ok() {  // SASL-IR, probe, LOGOUT
  return {imap_greeting,
          imap_caps_pre + "A001 OK CAPABILITY completed.\r\n",
          "A002 OK AUTHENTICATE completed.\r\n",
          imap_caps_post + "A003 OK CAPABILITY completed.\r\n",
          imap_examine_ok + "A004 OK [READ-ONLY] EXAMINE completed.\r\n",
          imap_bye + "A005 OK LOGOUT completed.\r\n"};
}
inline std::vector<std::string> pop3_login_ok() {  // two-step AUTH (§2.3), STAT, QUIT
  return {pop3_greeting, pop3_capa, "+ \r\n", "+OK User successfully authenticated.\r\n",
          "+OK 3 4521\r\n", "+OK Microsoft Exchange Server POP3 server signing off.\r\n"};
}
inline std::vector<std::string> smtp_login_ok() {  // EHLO, STARTTLS, EHLO, AUTH, probe, QUIT
  return {smtp_greeting,
          smtp_ehlo_pre,
          "220 2.0.0 SMTP server ready\r\n",
          smtp_ehlo_post,
          "235 2.7.0 Authentication successful\r\n",
          "250 2.1.0 Sender OK\r\n",
          "250 2.0.0 Resetting\r\n",
          "221 2.0.0 Service closing transmission channel\r\n"};
}

}  // namespace mh::test::exo
