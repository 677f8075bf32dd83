// Micro-benchmarks of the protocol clients: one full XOAUTH2 login per iteration against
// Exchange's wire strings (exchange-facts §1-§3, tests/support/exchange_wire.hpp) with a
// realistic 1.5 KB token, no sockets, no TLS:
//   BM_Login/*_fsm     the sans-I/O FSM alone: line framing, reply classifier, FSM
//   BM_Login/*_driver  the same through the real driver over a memory transport
//                      (coroutine, io_context, transcript, phase timer)
// Also the fake's IMAP argument parser. Numbers only; never run as tests (DESIGN §6).
#include <benchmark/benchmark.h>

#include "bench_token.hpp"
#include "core/error.hpp"
#include "exchange_wire.hpp"
#include "mail/imap_syntax.hpp"
#include "run_fsm.hpp"

namespace {

using namespace mh;
namespace exo = mh::test::exo;

login_options bench_opts(protocol p) {
  static const std::string token = bench::exchange_token();
  return test::opts(p, "alice@contoso.com", token);
}

// Drives `fsm` with the scripted segments and no driver: segment i becomes readable after
// the client's i-th command, responses are assembled with the FSM's classifier, literals
// taken raw, STARTTLS completes at once. Returns the bytes the client sent.
std::size_t fsm_login(client_fsm& fsm, const std::vector<std::string>& segs) {
  line_buffer in;
  std::size_t released = 0, sent = 0;
  in.append(segs[released++]);
  fsm_action act = fsm.start();
  while (act.type != fsm_action::kind::done) {
    if (act.type == fsm_action::kind::start_tls) {
      act = fsm.on_tls_ready();
      continue;
    }
    if (act.type == fsm_action::kind::send) {
      sent += act.wire.size();
      if (released < segs.size()) in.append(segs[released++]);
    }
    response r;
    bool after_literal = false, complete = false;
    for (auto lr = in.next_line(); lr.st == line_buffer::status::line; lr = in.next_line()) {
      auto kind = fsm.classify(lr.line, after_literal);
      if (after_literal)
        r.lines.back() += lr.line;
      else
        r.lines.emplace_back(lr.line);
      after_literal = kind.kind == line_kind::k::literal;
      if (after_literal) {
        r.lines.back() += "\r\n";
        if (!in.take_bytes(kind.literal_size, r.lines.back())) break;
        continue;
      }
      if (kind.kind == line_kind::k::more) continue;
      r.continuation = kind.kind == line_kind::k::continuation;
      complete = true;
      break;
    }
    act = complete ? fsm.on_response(r) : fsm.on_io_error(make_error_code(errc::connection_lost), r);
  }
  return sent;
}

// One login per iteration, through fsm_login() or the real driver
// (tests/support/run_fsm.hpp); fails the benchmark unless the login passes.
void BM_Login(benchmark::State& state, protocol p, bool via_driver) {
  const login_options o = bench_opts(p);
  const auto segs = p == protocol::imap   ? exo::imap_login_ok()
                    : p == protocol::pop3 ? exo::pop3_login_ok()
                                          : exo::smtp_login_ok();
  for (auto _ : state) {
    auto fsm = make_client(o);
    if (via_driver)
      benchmark::DoNotOptimize(test::run_fsm(*fsm, segs).transcript.size());
    else
      benchmark::DoNotOptimize(fsm_login(*fsm, segs));
    if (fsm->outcome().error) {
      state.SkipWithError(fsm->outcome().message.c_str());
      break;
    }
  }
}
BENCHMARK_CAPTURE(BM_Login, imap_fsm, protocol::imap, false);
BENCHMARK_CAPTURE(BM_Login, pop3_fsm, protocol::pop3, false);
BENCHMARK_CAPTURE(BM_Login, smtp_fsm, protocol::smtp, false);
BENCHMARK_CAPTURE(BM_Login, imap_driver, protocol::imap, true);
BENCHMARK_CAPTURE(BM_Login, pop3_driver, protocol::pop3, true);
BENCHMARK_CAPTURE(BM_Login, smtp_driver, protocol::smtp, true);

// The fake's IMAP argument parser on the arguments a mail client's FETCH and STATUS send.
void BM_FakeImapSplitArgs(benchmark::State& state) {
  const std::string fetch =
      "1:* (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT "
      "DATE MESSAGE-ID)])";
  const std::string status = "\"INBOX\" (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)";
  for (auto _ : state) {
    benchmark::DoNotOptimize(fake::imap_syntax::split_args(fetch));
    benchmark::DoNotOptimize(fake::imap_syntax::split_args(status));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_FakeImapSplitArgs);

void BM_FakeImapSequenceSet(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(fake::imap_syntax::sequence_set("1:3,5,7:*", 100));
}
BENCHMARK(BM_FakeImapSequenceSet);

}  // namespace
