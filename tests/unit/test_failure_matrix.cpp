// Beast-style failure matrix: for every protocol's Exchange dialogue, fail the n-th I/O
// operation for every n, and cut the server's bytes at every offset. Each run must end
// (no hang), report a classified error in a named phase, and never claim success unless
// only the goodbye was lost.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "exchange_wire.hpp"
#include "run_fsm.hpp"

using namespace mh;
using namespace mh::test;

namespace {

struct dialogue {
  protocol proto;
  std::vector<std::string> segments;
};

std::vector<dialogue> dialogues() {
  return {
      {protocol::imap,
       {exo::imap_greeting, exo::imap_caps_pre + "A001 OK CAPABILITY completed.\r\n",
        "A002 OK AUTHENTICATE completed.\r\n",
        exo::imap_caps_post + "A003 OK CAPABILITY completed.\r\n",
        exo::imap_examine_ok + "A004 OK [READ-ONLY] EXAMINE completed.\r\n",
        exo::imap_bye + "A005 OK LOGOUT completed.\r\n"}},
      {protocol::pop3,
       {exo::pop3_greeting, exo::pop3_capa, "+ \r\n", "+OK User successfully authenticated.\r\n",
        "+OK 3 4521\r\n", "+OK bye\r\n"}},
      {protocol::smtp,
       {exo::smtp_greeting, exo::smtp_ehlo_pre, "220 2.0.0 SMTP server ready\r\n",
        exo::smtp_ehlo_post, "235 2.7.0 Authentication successful\r\n",
        "250 2.1.0 Sender OK\r\n", "250 2.0.0 Resetting\r\n", "221 2.0.0 Bye\r\n"}},
  };
}

void PrintTo(const dialogue& d, std::ostream* os) { *os << protocol_name(d.proto); }

class FailureMatrix : public ::testing::TestWithParam<dialogue> {};

}  // namespace

TEST_P(FailureMatrix, FailAtEveryIoOperation) {
  const auto& d = GetParam();
  auto clean_fsm = make_client(opts(d.proto));
  auto clean = run_fsm(*clean_fsm, d.segments);
  ASSERT_FALSE(clean.outcome.error) << clean.outcome.message;
  for (long n = 0; n < clean.ops; ++n) {
    auto fsm = make_client(opts(d.proto));
    run_options ro;
    ro.fail_at = n;
    auto r = run_fsm(*fsm, d.segments, ro);
    if (!r.outcome.error) {
      // Only losing the connection during the goodbye may still count as a pass.
      ASSERT_FALSE(r.phases.empty());
      EXPECT_EQ(r.phases.back().ph, phase::logout) << "fail_at=" << n;
      continue;
    }
    auto cls = classify(r.outcome.error);
    EXPECT_TRUE(cls == error_class::protocol || cls == error_class::tls)
        << "fail_at=" << n << " " << r.outcome.message;
    EXPECT_NE(r.outcome.message.find(phase_name(r.outcome.failed_phase)), std::string::npos)
        << r.outcome.message;
  }
}

TEST_P(FailureMatrix, ServerBytesCutAtEveryOffset) {
  const auto& d = GetParam();
  std::string all;
  for (const auto& s : d.segments) all += s;
  for (std::size_t cut = 0; cut < all.size(); ++cut) {
    // Keep the segment structure but drop everything after `cut` bytes.
    std::vector<std::string> segs;
    std::size_t used = 0;
    for (const auto& s : d.segments) {
      if (used >= cut) break;
      segs.push_back(s.substr(0, cut - used));
      used += segs.back().size();
    }
    for (bool stall : {false, true}) {
      auto fsm = make_client(opts(d.proto));
      run_options ro;
      ro.stall_when_empty = stall;
      ro.read_size = 7;  // odd chunking on top of the cut
      auto r = run_fsm(*fsm, segs, ro);
      if (!r.outcome.error) {
        EXPECT_EQ(r.phases.back().ph, phase::logout) << "cut=" << cut;
        continue;
      }
      auto cls = classify(r.outcome.error);
      EXPECT_TRUE(cls == error_class::protocol || cls == error_class::timeout ||
                  cls == error_class::rejected)
          << "cut=" << cut << " " << r.outcome.message;
    }
  }
}

std::string dialogue_name(const ::testing::TestParamInfo<dialogue>& p) {
  return std::string(protocol_name(p.param.proto));
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, FailureMatrix, ::testing::ValuesIn(dialogues()),
                         dialogue_name);
