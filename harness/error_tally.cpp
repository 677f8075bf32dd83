#include "error_tally.hpp"

#include "core/error.hpp"

namespace mh::cli {

void error_tally::add(const std::string& cls, const std::string& code, const std::string& phase,
                      const std::string& reply, const std::string& message, std::uint64_t n) {
  auto& e = entries_[cls + "|" + code + "|" + phase + "|" + reply];
  if (e.count == 0) e = {cls, code, phase, reply, message, 0};
  e.count += n;
}

void error_tally::add(std::error_code ec, std::string_view phase, const std::string& reply,
                      const std::string& message) {
  add(std::string(class_name(classify(ec))), std::string(code_name(ec)), std::string(phase), reply, message);
}

void error_tally::merge(const error_tally& other) {
  for (const auto& [k, e] : other.entries_) add(e.cls, e.code, e.phase, e.reply, e.message, e.count);
}

const error_entry* error_tally::most_frequent() const {
  const error_entry* best = nullptr;
  for (const auto& [k, e] : entries_)
    if (!best || e.count > best->count) best = &e;
  return best;
}

nlohmann::json error_tally::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, e] : entries_)
    out.push_back({{"class", e.cls}, {"code", e.code}, {"phase", e.phase}, {"reply", e.reply},
                   {"message", e.message}, {"count", e.count}});
  return out;
}

}  // namespace mh::cli
