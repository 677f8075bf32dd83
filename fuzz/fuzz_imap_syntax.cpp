// The fake IMAP server's pure syntax functions (fakes/mail/imap_syntax.*): split_args over a
// command's arguments, sequence_set over a sequence set, quote. First input byte: the
// highest number in use for "*" (0-255); the rest is the text.
// Invariants:
//   - split_args: the arguments hold no more bytes than the text (quotes and escapes only
//     shrink it; lists are kept whole);
//   - quote() of any text without CR/LF is a quoted string that split_args reads back as
//     exactly that one argument;
//   - sequence_set: sorted, distinct, every number >= 1, at most 1,000,001 numbers from
//     ranges in all plus one per comma-separated part; a lone number n (1 - 2^32-1) gives {n}, a lone "*" gives {max}.
// fuzz-runs: 1000
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "mail/imap_syntax.hpp"

namespace is = mh::fake::imap_syntax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::uint32_t max = std::max<std::uint32_t>(data[0], 1);
  std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (auto args = is::split_args(s)) {
    std::size_t bytes = 0;
    for (const auto& a : *args) bytes += a.size();
    if (bytes > s.size()) __builtin_trap();
  }
  if (s.find_first_of("\r\n") == std::string_view::npos) {
    std::string q = is::quote(s);
    auto back = is::split_args(q);
    if (q.front() != '"' || !back || back->size() != 1 || (*back)[0] != s) __builtin_trap();
  }

  if (auto set = is::sequence_set(s, max)) {
    std::size_t parts = 1 + static_cast<std::size_t>(std::count(s.begin(), s.end(), ','));
    if (set->size() > 1'000'001 + parts) __builtin_trap();
    for (std::size_t i = 0; i < set->size(); ++i)
      if ((*set)[i] == 0 || (i > 0 && (*set)[i - 1] >= (*set)[i])) __builtin_trap();
    if (s == "*" && *set != std::vector<std::uint32_t>{max}) __builtin_trap();
    if (!s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string_view::npos) {
      std::uint64_t n = std::stoull(std::string(s));
      if (n >= 1 && n <= 0xffffffffu && *set != std::vector<std::uint32_t>{static_cast<std::uint32_t>(n)})
        __builtin_trap();
    }
  }
  return 0;
}
