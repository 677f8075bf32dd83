// Failures of many logins, counted once per (class, code, phase, reply), as the "errors" list
// of a report record (reports/README.md) shows them. Used by run and bench; one tally per
// thread, merged at the end.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <system_error>

#include "core/phase.hpp"

namespace mh::cli {

struct error_entry {
  std::string cls, code, phase, reply, message;  // message: of the first occurrence
  std::uint64_t count = 0;
};

class error_tally {
 public:
  void add(const std::string& cls, const std::string& code, const std::string& phase, const std::string& reply,
           const std::string& message, std::uint64_t n = 1);
  // The error's class and code names (core/error.hpp), in `phase`.
  void add(std::error_code ec, std::string_view phase, const std::string& reply, const std::string& message);
  void merge(const error_tally& other);
  bool empty() const { return entries_.empty(); }
  // The most frequent entry; null when empty.
  const error_entry* most_frequent() const;
  const std::map<std::string, error_entry>& entries() const { return entries_; }
  // [{"class","code","phase","reply","message","count"}], ordered by class, code, phase, reply.
  nlohmann::json to_json() const;

 private:
  std::map<std::string, error_entry> entries_;
};

}  // namespace mh::cli
