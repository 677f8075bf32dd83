#include "mail/faults.hpp"

#include <stdexcept>

namespace mh::fake {
namespace {

bool matches(const std::string& pattern, std::string_view value) {
  if (pattern == "*") return true;
  if (pattern.size() != value.size()) return false;
  for (std::size_t i = 0; i < value.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(pattern[i])) !=
        std::toupper(static_cast<unsigned char>(value[i])))
      return false;
  return true;
}

}  // namespace

void fault_set::add(fault_rule r) {
  std::lock_guard lock(mu_);
  rules_.push_back(std::move(r));
}

void fault_set::clear() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

std::optional<fault_rule> fault_set::take(std::string_view protocol, std::string_view command) {
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (!matches(it->protocol, protocol) || !matches(it->command, command)) continue;
    fault_rule r = *it;
    if (it->times > 0 && --it->times == 0) rules_.erase(it);
    return r;
  }
  return std::nullopt;
}

nlohmann::json fault_set::to_json() const {
  std::lock_guard lock(mu_);
  auto out = nlohmann::json::array();
  for (const auto& r : rules_) out.push_back(fault_to_json(r));
  return out;
}

fault_rule fault_from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::invalid_argument("a fault must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* known[] = {"protocol", "command", "action", "text",
                                  "delay_ms", "after_s", "times"};
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) throw std::invalid_argument("unknown fault field \"" + it.key() + "\"");
  }
  auto str = [&](const char* k, std::string def) {
    if (!j.contains(k)) return def;
    if (!j[k].is_string()) throw std::invalid_argument(std::string("fault field \"") + k + "\" must be a string");
    return j[k].get<std::string>();
  };
  auto num = [&](const char* k, int def) {
    if (!j.contains(k)) return def;
    if (!j[k].is_number_integer())
      throw std::invalid_argument(std::string("fault field \"") + k + "\" must be an integer");
    return j[k].get<int>();
  };
  fault_rule r;
  r.protocol = str("protocol", "*");
  if (r.protocol != "*" && r.protocol != "imap" && r.protocol != "pop3" && r.protocol != "smtp")
    throw std::invalid_argument("fault field \"protocol\" must be imap, pop3, smtp or *");
  r.command = str("command", "*");
  std::string a = str("action", "reply");
  if (a == "reply") r.action = fault_rule::kind::reply;
  else if (a == "delay") r.action = fault_rule::kind::delay;
  else if (a == "disconnect") r.action = fault_rule::kind::disconnect;
  else if (a == "expire_token") r.action = fault_rule::kind::expire_token;
  else throw std::invalid_argument("fault field \"action\" must be reply, delay, disconnect or expire_token");
  r.text = str("text", "");
  if (r.action == fault_rule::kind::reply && r.text.empty())
    throw std::invalid_argument("a reply fault needs \"text\"");
  r.delay_ms = num("delay_ms", 0);
  r.after_s = num("after_s", 0);
  r.times = num("times", -1);
  if (r.times == 0 || r.times < -1) throw std::invalid_argument("fault field \"times\" must be >= 1 or -1");
  if (r.delay_ms < 0 || r.delay_ms > 600000) throw std::invalid_argument("fault field \"delay_ms\" out of range");
  return r;
}

nlohmann::json fault_to_json(const fault_rule& r) {
  static const char* names[] = {"reply", "delay", "disconnect", "expire_token"};
  return {{"protocol", r.protocol}, {"command", r.command},
          {"action", names[static_cast<int>(r.action)]}, {"text", r.text},
          {"delay_ms", r.delay_ms}, {"after_s", r.after_s}, {"times", r.times}};
}

}  // namespace mh::fake
