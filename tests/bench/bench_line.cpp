// Micro-benchmarks of the shared line engine (net/line_buffer): CRLF framing of Exchange's
// replies from one big buffer and fed in chunks (1 = byte by byte), and an IMAP literal.
// Numbers only; never run as tests (DESIGN §6).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "exchange_wire.hpp"
#include "imap/imap_parse.hpp"
#include "net/line_buffer.hpp"

namespace {

namespace exo = mh::test::exo;

// About 64 KiB of server lines: Exchange's IMAP, POP3 and SMTP replies, repeated.
const std::string& wire() {
  static const std::string text = [] {
    const std::string unit = exo::imap_greeting + exo::imap_caps_post + exo::imap_examine_ok +
                             exo::imap_bye + exo::pop3_greeting + exo::pop3_capa +
                             exo::smtp_greeting + exo::smtp_ehlo_post;
    std::string s;
    while (s.size() < 64 * 1024) s += unit;
    return s;
  }();
  return text;
}

// Takes every complete line out of `b`; returns how many.
std::size_t drain(mh::line_buffer& b) {
  std::size_t lines = 0;
  for (auto r = b.next_line(); r.st == mh::line_buffer::status::line; r = b.next_line()) {
    benchmark::DoNotOptimize(r.line.data());
    ++lines;
  }
  return lines;
}

void BM_LineFrameOneBuffer(benchmark::State& state) {
  const std::string& text = wire();
  std::size_t lines = 0;
  for (auto _ : state) {
    mh::line_buffer b;
    b.append(text);
    lines = drain(b);
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines));
}
BENCHMARK(BM_LineFrameOneBuffer);

// Chunks of state.range(0) bytes through prepare()/commit(), as a socket read fills them.
void BM_LineFrameChunks(benchmark::State& state) {
  const std::string& text = wire();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::size_t lines = 0;
  for (auto _ : state) {
    mh::line_buffer b;
    lines = 0;
    for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
      std::size_t n = std::min(chunk, text.size() - pos);
      auto buf = b.prepare(n);
      std::memcpy(buf.data(), text.data() + pos, n);
      b.commit(n);
      lines += drain(b);
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines));
}
BENCHMARK(BM_LineFrameChunks)->Arg(1)->Arg(16)->Arg(1460)->Arg(16384);

// "* 1 FETCH (BODY[] {n}" + n octets + ")" + the tagged OK: the line, the literal's size
// (the client's parser), the raw octets, the rest.
void BM_LineImapLiteral(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string text = "* 1 FETCH (BODY[] {" + std::to_string(size) + "}\r\n" +
                           std::string(size, 'x') + ")\r\nA005 OK FETCH completed.\r\n";
  for (auto _ : state) {
    mh::line_buffer b;
    b.append(text);
    auto head = b.next_line();
    auto n = mh::imap::trailing_literal(head.line);
    std::string literal;
    if (!n || !b.take_bytes(*n, literal)) {
      state.SkipWithError("literal not framed");
      break;
    }
    benchmark::DoNotOptimize(literal.data());
    benchmark::DoNotOptimize(drain(b));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_LineImapLiteral)->Arg(1024)->Arg(64 * 1024);

}  // namespace
