// The shared line engine: framing, limits and hostile input.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "net/line_buffer.hpp"

using namespace mh;

TEST(LineBuffer, SplitsCrlfLinesFedByteByByte) {
  line_buffer b;
  std::string input = "* OK ready\r\nA001 OK done\r\n";
  std::vector<std::string> got;
  for (char c : input) {
    b.append(std::string_view(&c, 1));
    while (true) {
      auto r = b.next_line();
      if (r.st != line_buffer::status::line) {
        EXPECT_EQ(r.st, line_buffer::status::need_more);
        break;
      }
      got.emplace_back(r.line);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"* OK ready", "A001 OK done"}));
}

TEST(LineBuffer, BareLfIsAnErrorUnlessAllowed) {
  line_buffer strict;
  strict.append("+OK hi\n");
  auto r = strict.next_line();
  EXPECT_EQ(r.st, line_buffer::status::error);
  EXPECT_EQ(r.error, errc::bare_lf);

  line_buffer lenient({1024, true});
  lenient.append("+OK hi\n");
  auto l = lenient.next_line();
  EXPECT_EQ(l.st, line_buffer::status::line);
  EXPECT_EQ(l.line, "+OK hi");
}

TEST(LineBuffer, NulAndBareCrAreRejected) {
  line_buffer b;
  b.append(std::string("+OK a\0b\r\n", 9));
  EXPECT_EQ(b.next_line().error, errc::nul_in_line);
  b.append("+OK a\rb\r\n");
  EXPECT_EQ(b.next_line().error, errc::weird_server_reply);
}

TEST(LineBuffer, OverlongLineIsDetectedBeforeItsEndArrives) {
  line_buffer b({16, false});
  b.append(std::string(17, 'x'));  // 17 bytes, no line end yet: may still be 16 + CR
  EXPECT_EQ(b.next_line().st, line_buffer::status::need_more);
  b.append("y");
  auto r = b.next_line();
  EXPECT_EQ(r.st, line_buffer::status::error);
  EXPECT_EQ(r.error, errc::line_too_long);
}

TEST(LineBuffer, LineAtTheLimitIsAccepted) {
  line_buffer b({16, false});
  b.append(std::string(16, 'x') + "\r\n");
  auto r = b.next_line();
  EXPECT_EQ(r.st, line_buffer::status::line);
  EXPECT_EQ(r.line.size(), 16u);
}

TEST(LineBuffer, LiteralBytesAreTakenExactly) {
  line_buffer b;
  b.append("* 1 FETCH (BODY[] {5}\r\nhel");
  auto r = b.next_line();
  ASSERT_EQ(r.st, line_buffer::status::line);
  std::string lit;
  EXPECT_FALSE(b.take_bytes(5, lit));
  b.append("lo)\r\n");
  EXPECT_TRUE(b.take_bytes(5, lit));
  EXPECT_EQ(lit, "hello");
  EXPECT_EQ(b.next_line().line, ")");
}

TEST(LineBuffer, PrepareCommitKeepsOnlyCommittedBytes) {
  line_buffer b;
  auto span = b.prepare(100);
  std::string_view data = "+OK\r\n";
  std::copy(data.begin(), data.end(), span.begin());
  b.commit(data.size());
  EXPECT_EQ(b.buffered(), data.size());
  EXPECT_EQ(b.next_line().line, "+OK");
}

TEST(LineBuffer, MemoryStaysBoundedUnderAStreamOfLines) {
  line_buffer b;
  for (int i = 0; i < 100000; ++i) {
    b.append("* 1 EXISTS\r\n");
    ASSERT_EQ(b.next_line().st, line_buffer::status::line);
  }
  EXPECT_EQ(b.buffered(), 0u);
}
