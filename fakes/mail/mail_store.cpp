#include "mail/mail_store.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace mh::fake {
namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc5322_date(std::int64_t t) { return format_utc(t, "%a, %d %b %Y %H:%M:%S +0000"); }

}  // namespace

std::string mail_store::key(const std::string& mailbox) {
  std::string k = mailbox;
  for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

std::string mail_store::compose(const std::string& to, const seed_message& m, std::int64_t date) {
  std::string body = m.body;
  std::string out;
  out += "From: <" + m.from + ">\r\n";
  out += "To: <" + to + ">\r\n";
  out += "Subject: " + m.subject + "\r\n";
  out += "Date: " + rfc5322_date(date) + "\r\n";
  out += "Message-ID: <" + std::to_string(date) + "." + std::to_string(std::hash<std::string>{}(m.subject + to)) +
         "@contoso.example>\r\n";
  out += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  out += body;
  if (!body.ends_with("\r\n")) out += "\r\n";
  return out;
}

mail_store::mail_store(const tenant& t) : uid_validity_(static_cast<std::uint32_t>(now_s() & 0x7fffffff)) {
  std::int64_t date = now_s() - 86400;
  for (const auto& m : t.mailboxes) {
    auto& b = boxes_[key(m.address)];
    for (const auto& s : m.messages) {
      b.messages.push_back({b.next_uid++, compose(m.address, s, date), {}, date});
      date += 3600;
    }
  }
}

std::vector<stored_message> mail_store::snapshot(const std::string& mailbox) const {
  std::lock_guard lock(mu_);
  auto it = boxes_.find(key(mailbox));
  return it == boxes_.end() ? std::vector<stored_message>{} : it->second.messages;
}

std::uint32_t mail_store::uid_next(const std::string& mailbox) const {
  std::lock_guard lock(mu_);
  auto it = boxes_.find(key(mailbox));
  return it == boxes_.end() ? 1 : it->second.next_uid;
}

bool mail_store::deliver(const std::string& mailbox, std::string data) {
  std::lock_guard lock(mu_);
  auto it = boxes_.find(key(mailbox));
  if (it == boxes_.end()) return false;
  it->second.messages.push_back({it->second.next_uid++, std::move(data), {}, now_s()});
  return true;
}

void mail_store::set_flags(const std::string& mailbox, std::uint32_t uid,
                           const std::set<std::string>& flags) {
  std::lock_guard lock(mu_);
  auto it = boxes_.find(key(mailbox));
  if (it == boxes_.end()) return;
  for (auto& m : it->second.messages)
    if (m.uid == uid) m.flags = flags;
}

void mail_store::remove(const std::string& mailbox, const std::vector<std::uint32_t>& uids) {
  std::lock_guard lock(mu_);
  auto it = boxes_.find(key(mailbox));
  if (it == boxes_.end()) return;
  auto& v = it->second.messages;
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const stored_message& m) {
                           return std::find(uids.begin(), uids.end(), m.uid) != uids.end();
                         }),
          v.end());
}

nlohmann::json mail_store::to_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = {{"uid_validity", uid_validity_}, {"mailboxes", nlohmann::json::object()}};
  for (const auto& [name, b] : boxes_) {
    auto& jb = out["mailboxes"][name] = {{"next_uid", b.next_uid}, {"messages", nlohmann::json::array()}};
    for (const auto& m : b.messages)
      jb["messages"].push_back({{"uid", m.uid}, {"flags", m.flags}, {"date", m.internal_date},
                                {"data", m.data}});
  }
  return out;
}

void mail_store::load_json(const nlohmann::json& j) {
  std::lock_guard lock(mu_);
  uid_validity_ = j.at("uid_validity").get<std::uint32_t>();
  for (const auto& [name, jb] : j.at("mailboxes").items()) {
    auto it = boxes_.find(name);
    if (it == boxes_.end()) continue;
    box b;
    b.next_uid = jb.at("next_uid").get<std::uint32_t>();
    for (const auto& m : jb.at("messages"))
      b.messages.push_back({m.at("uid").get<std::uint32_t>(), m.at("data").get<std::string>(),
                            m.at("flags").get<std::set<std::string>>(), m.at("date").get<std::int64_t>()});
    it->second = std::move(b);
  }
}

}  // namespace mh::fake
