#include "core/transcript.hpp"

namespace mh {

void transcript::add(std::chrono::nanoseconds at, char dir, std::string_view text) {
  std::string shown = redactor_.apply(text);
  if (shown.size() > max_shown) {
    std::size_t total = shown.size();
    shown.resize(max_shown);
    shown += "... (" + std::to_string(total) + " octets)";
  }
  // Control characters are shown escaped so a transcript is always one printable line.
  std::string clean;
  clean.reserve(shown.size());
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : shown) {
    if (c < 0x20 || c == 0x7f) {
      clean += "\\x";
      clean += hex[c >> 4];
      clean += hex[c & 15];
    } else {
      clean += static_cast<char>(c);
    }
  }
  lines_.push_back({at, dir, std::move(clean)});
}

std::vector<std::string> transcript_text(const std::vector<transcript_line>& lines) {
  std::vector<std::string> out;
  out.reserve(lines.size());
  for (const auto& l : lines) out.push_back(std::string(1, l.dir) + ": " + l.text);
  return out;
}

}  // namespace mh
