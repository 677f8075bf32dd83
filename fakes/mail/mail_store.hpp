// The fake's mail store: one INBOX per mailbox, in memory. Enough for real clients to
// complete normal sessions (list, select, fetch, search, flag, expunge; POP retrieve and
// delete; SMTP delivery into the recipient's INBOX). Thread-safe: one mutex, short holds.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tenant/tenant.hpp"

namespace mh::fake {

struct stored_message {
  std::uint32_t uid = 0;
  std::string data;                  // the RFC 5322 message, CRLF line ends
  std::set<std::string> flags;       // \Seen, \Deleted, ...
  std::int64_t internal_date = 0;    // unix seconds
};

class mail_store {
 public:
  // Seeds each mailbox of the tenant with its configured messages.
  explicit mail_store(const tenant& t);

  // A copy of the mailbox's messages (an IMAP/POP session works on its own snapshot).
  std::vector<stored_message> snapshot(const std::string& mailbox) const;
  std::uint32_t uid_validity() const { return uid_validity_; }
  std::uint32_t uid_next(const std::string& mailbox) const;

  // Delivers a message to the mailbox; false if no such mailbox.
  bool deliver(const std::string& mailbox, std::string data);
  void set_flags(const std::string& mailbox, std::uint32_t uid, const std::set<std::string>& flags);
  // Removes messages by UID.
  void remove(const std::string& mailbox, const std::vector<std::uint32_t>& uids);

  // Persistence in the state dir: every mailbox's messages, flags and UIDs as JSON.
  nlohmann::json to_json() const;
  // Replaces the contents of the mailboxes named in `j` (unknown mailboxes are ignored).
  void load_json(const nlohmann::json& j);

  // The RFC 5322 text built from a seed message.
  static std::string compose(const std::string& to, const seed_message& m, std::int64_t date);

 private:
  struct box {
    std::vector<stored_message> messages;
    std::uint32_t next_uid = 1;
  };
  static std::string key(const std::string& mailbox);
  mutable std::mutex mu_;
  std::map<std::string, box> boxes_;
  std::uint32_t uid_validity_;
};

}  // namespace mh::fake
