// Shared by the file-loader fuzz targets (fuzz_scenario, fuzz_tenant, fuzz_profile,
// fuzz_mailbox_list, fuzz_report_json, fuzz_rules): the loaders' documented error contract.
// A loader either succeeds or throws mh::config_error naming the file; any other exception
// escapes the target and aborts the run (libFuzzer reports it with its type and message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_doc.hpp"

namespace mh::fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return size ? std::string_view(reinterpret_cast<const char*>(data), size) : std::string_view();
}

// The error names the file (e.file and the message's "file:line:col: " prefix), with a
// non-negative position and some text after the prefix.
inline void check_config_error(const mh::config_error& e, const std::string& file) {
  std::string_view what = e.what();
  if (e.file != file || !what.starts_with(file + ":")) __builtin_trap();
  if (e.line < 0 || e.column < 0) __builtin_trap();
  std::string prefix = file + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": ";
  if (!what.starts_with(prefix) || what.size() <= prefix.size()) __builtin_trap();
}

// Runs `load`; true when it returned, false when it threw a well-formed config_error.
template <class F>
bool loads(F&& load, const std::string& file) {
  try {
    load();
    return true;
  } catch (const mh::config_error& e) {
    check_config_error(e, file);
    return false;
  }
}

// Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9 || i + n >= s.size()) return false;
    std::uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1F) : n == 2 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

}  // namespace mh::fuzz
