// Faults on demand for the fake's mail servers (DESIGN §4; curl's servercmd directives,
// Postfix smtp-sink flags): per protocol and command, a fixed reply, a delay, a disconnect,
// applying N times or always; and token-time faults ("expire the session token T seconds
// after authentication"). Rules come from the tenant/scenario files or the control
// endpoint. Thread-safe.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mh::fake {

struct fault_rule {
  enum class kind { reply, delay, disconnect, expire_token };
  std::string protocol;   // "imap", "pop3", "smtp" or "*"
  std::string command;    // upper-case verb ("AUTHENTICATE", "MAIL"), "GREETING" or "*"
  kind action = kind::reply;
  std::string text;       // reply: the line(s) to send; "{tag}" is the IMAP command tag
  int delay_ms = 0;       // delay: before the normal answer
  int after_s = 0;        // expire_token: seconds after authentication
  int times = -1;         // how many more times the rule applies; -1 = always
};

class fault_set {
 public:
  void add(fault_rule r);
  void clear();
  // The first rule matching, consumed once (its count decremented).
  std::optional<fault_rule> take(std::string_view protocol, std::string_view command);
  nlohmann::json to_json() const;

 private:
  mutable std::mutex mu_;
  std::vector<fault_rule> rules_;
};

// Parses one rule from JSON {"protocol","command","action","text","delay_ms","after_s","times"};
// throws std::invalid_argument naming the field.
fault_rule fault_from_json(const nlohmann::json& j);
nlohmann::json fault_to_json(const fault_rule& r);

}  // namespace mh::fake
