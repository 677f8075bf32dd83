// The shared CRLF line engine (net/line_buffer.hpp) that every client and server reads
// through, checked against a reference model: the input itself.
//
// Input: byte 0 configures (bits 0-4: max_line = 4 * value, so 0..124 octets; bit 5:
// commit() more than was prepared (it clamps); bit 6: allow bare LF; bit 7: prepare() and
// commit() instead of append()), bytes 1-4 are the chunk sizes used in turn (0: all the
// rest), the remainder is the peer's byte stream. After each chunk every complete line is
// read; a line ending in an IMAP literal "{n}" (n < 1000) is followed by take_bytes(n); an
// over-long partial line is dropped with discard().
// Invariants (line_buffer.hpp contract):
//   - every byte that comes out (line, terminator, literal, discarded) is the next byte of
//     the input, in order: out never exceeds in, and out + buffered() == in at the end;
//   - a line is the input up to the next LF, minus CRLF (or LF when bare LF is allowed);
//     a good line holds no CR, LF or NUL and is at most max_line octets;
//   - need_more only while at most max_line + 1 bytes wait without a LF; more than that
//     is line_too_long at once (memory stays bounded); each error names its cause.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "net/line_buffer.hpp"

namespace {

using mh::line_buffer;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// The reference: the whole stream and how much of it the buffer has given back.
struct model {
  std::string_view in;
  std::size_t fed = 0;  // bytes handed to the buffer
  std::size_t pos = 0;  // bytes that came out (lines, terminators, literals, discards)

  std::string_view pending() const { return in.substr(pos, fed - pos); }
  void take(std::string_view out) {
    check(pos + out.size() <= fed);
    check(in.substr(pos, out.size()) == out);
    pos += out.size();
  }
};

std::size_t literal_size(std::string_view line) {
  if (line.size() < 3 || line.back() != '}') return 0;
  auto open = line.rfind('{');
  if (open == std::string_view::npos || line.size() - open - 2 > 3) return 0;
  std::size_t n = 0;
  for (char c : line.substr(open + 1, line.size() - open - 2)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// Reads everything the buffered bytes allow; returns the literal still owed (0: none).
std::size_t drain(line_buffer& b, model& m, std::size_t literal) {
  const auto& lim = b.limits();
  while (true) {
    check(m.pos + b.buffered() == m.fed);
    if (literal) {
      std::string lit = "x";  // take_bytes appends
      if (!b.take_bytes(literal, lit)) {
        check(b.buffered() < literal && lit == "x");
        return literal;
      }
      m.take(std::string_view(lit).substr(1));
      literal = 0;
      continue;
    }
    std::size_t before = b.buffered();
    auto r = b.next_line();
    std::size_t consumed = before - b.buffered();
    if (consumed == 0) {  // need_more, or an over-long line without its LF yet
      check(r.line.empty());
      check(m.pending().find('\n') == std::string_view::npos);
      if (r.st == line_buffer::status::need_more) {
        check(b.buffered() <= lim.max_line + 1);
        return 0;
      }
      check(r.st == line_buffer::status::error && r.error == mh::errc::line_too_long);
      check(b.buffered() > lim.max_line + 1);
      std::size_t n = b.buffered();
      check(b.discard(n + 7) == n);  // at most what is buffered
      m.pos += n;
      continue;
    }
    // A line was consumed: the input up to and including the next LF.
    check(r.line.find('\n') == std::string_view::npos);
    m.take(r.line);
    std::size_t term = consumed - r.line.size();
    check(term == 1 || term == 2);
    m.take(term == 2 ? "\r\n" : "\n");
    if (r.st == line_buffer::status::line) {
      check(!r.error);
      check(r.line.size() <= lim.max_line);
      check(r.line.find('\r') == std::string_view::npos);
      check(r.line.find('\0') == std::string_view::npos);
      check(term == 2 || lim.allow_bare_lf);
      literal = literal_size(r.line);
      continue;
    }
    check(r.st == line_buffer::status::error);
    if (r.error == mh::errc::line_too_long) check(r.line.size() > lim.max_line);
    else if (r.error == mh::errc::bare_lf) check(term == 1 && !lim.allow_bare_lf);
    else if (r.error == mh::errc::nul_in_line) check(r.line.find('\0') != std::string_view::npos);
    else
      check(r.error == mh::errc::weird_server_reply &&
            r.line.find('\r') != std::string_view::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 5) return 0;
  const std::uint8_t cfg = data[0];
  mh::line_limits lim;
  lim.max_line = static_cast<std::size_t>(cfg & 0x1f) * 4;
  lim.allow_bare_lf = (cfg & 0x40) != 0;
  const bool use_prepare = (cfg & 0x80) != 0;
  const bool over_commit = (cfg & 0x20) != 0;
  const std::uint8_t* chunks = data + 1;

  model m;
  m.in = std::string_view(reinterpret_cast<const char*>(data) + 5, size - 5);
  line_buffer b(lim);
  std::size_t literal = 0;
  for (std::size_t i = 0; m.fed < m.in.size(); ++i) {
    std::size_t want = chunks[i % 4] ? chunks[i % 4] : m.in.size();
    std::size_t n = std::min(want, m.in.size() - m.fed);
    std::string_view piece = m.in.substr(m.fed, n);
    if (use_prepare) {
      // Reserve more than arrives, as a socket read does; only committed bytes count. With
      // over_commit, commit() is asked for more than was prepared and must clamp.
      std::size_t extra = over_commit ? 0 : (i % 3) * 8;
      auto space = b.prepare(n + extra);
      check(space.size() == n + extra);
      std::memcpy(space.data(), piece.data(), n);
      b.commit(over_commit ? n + 1 + i % 5 : n);
    } else {
      b.append(piece);
    }
    m.fed += n;
    literal = drain(b, m, literal);
  }
  check(m.pos + b.buffered() == m.fed && m.fed == m.in.size());
  return 0;
}
