// The redacted conversation of one session: what the client sent (C), what the server
// sent (S), and notes (*) such as "TLS established". Every text passes through the
// redactor on the way in, so a transcript never holds a secret.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/redact.hpp"

namespace mh {

struct transcript_line {
  std::chrono::nanoseconds at{0};  // since the session began
  char dir = '*';                  // 'C', 'S' or '*'
  std::string text;
};

// "C: …", "S: …", "*: …": the lines as reports store them.
std::vector<std::string> transcript_text(const std::vector<transcript_line>& lines);

class transcript {
 public:
  explicit transcript(const redactor& r) : redactor_(r) {}
  void add(std::chrono::nanoseconds at, char dir, std::string_view text);
  const std::vector<transcript_line>& lines() const { return lines_; }

 private:
  static constexpr std::size_t max_shown = 2048;  // longer lines are shortened for display
  const redactor& redactor_;
  std::vector<transcript_line> lines_;
};

}  // namespace mh
