#include "session/driver.hpp"

#include "core/error.hpp"

namespace mh {
namespace {

using clock = std::chrono::steady_clock;

struct response_read {
  std::error_code ec;
  response r;
};

std::chrono::milliseconds remaining(clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(1);
}

net::awaitable<response_read> read_response(client_fsm& fsm, line_channel& ch, transcript& tr,
                                            phase_timer& timer, const driver_limits& limits) {
  response_read out;
  auto deadline = clock::now() + limits.response_timeout;
  std::size_t total = 0;
  bool after_literal = false;
  while (true) {
    ch.raw().set_timeout(remaining(deadline));
    auto lr = co_await ch.read_line();
    if (lr.ec) {
      if (!lr.line.empty()) tr.add(timer.elapsed(), 'S', lr.line);
      out.ec = lr.ec;
      co_return out;
    }
    tr.add(timer.elapsed(), 'S', lr.line);
    total += lr.line.size() + 2;
    auto kind = fsm.classify(lr.line, after_literal);
    if (after_literal)
      out.r.lines.back() += lr.line;
    else
      out.r.lines.push_back(std::move(lr.line));
    if (total > limits.max_response_bytes) {
      out.ec = make_error_code(errc::line_too_long);
      co_return out;
    }
    after_literal = false;
    switch (kind.kind) {
      case line_kind::k::more: continue;
      case line_kind::k::final: co_return out;
      case line_kind::k::continuation:
        out.r.continuation = true;
        co_return out;
      case line_kind::k::literal: {
        if (kind.literal_size > limits.max_response_bytes - total) {
          out.ec = make_error_code(errc::line_too_long);
          co_return out;
        }
        std::string data;
        ch.raw().set_timeout(remaining(deadline));
        if (auto ec = co_await ch.read_exact(kind.literal_size, data)) {
          out.ec = ec;
          co_return out;
        }
        tr.add(timer.elapsed(), 'S', "<literal " + std::to_string(data.size()) + " octets>");
        total += data.size();
        out.r.lines.back() += "\r\n";
        out.r.lines.back() += data;
        after_literal = true;
        continue;
      }
    }
  }
}

}  // namespace

net::awaitable<void> drive(client_fsm& fsm, line_channel& ch, transcript& tr, phase_timer& timer,
                           driver_limits limits) {
  fsm_action act = fsm.start();
  while (act.type != fsm_action::kind::done) {
    timer.enter(act.ph);
    switch (act.type) {
      case fsm_action::kind::send: {
        tr.add(timer.elapsed(), 'C', act.shown);
        ch.raw().set_timeout(limits.response_timeout);
        if (auto ec = co_await ch.write(act.wire)) {
          act = fsm.on_io_error(ec, {});
          break;
        }
        auto rr = co_await read_response(fsm, ch, tr, timer, limits);
        act = rr.ec ? fsm.on_io_error(rr.ec, rr.r) : fsm.on_response(rr.r);
        break;
      }
      case fsm_action::kind::receive: {
        auto rr = co_await read_response(fsm, ch, tr, timer, limits);
        act = rr.ec ? fsm.on_io_error(rr.ec, rr.r) : fsm.on_response(rr.r);
        break;
      }
      case fsm_action::kind::start_tls: {
        ch.raw().set_timeout(limits.response_timeout);
        auto ec = co_await ch.start_tls();
        if (ec) {
          tr.add(timer.elapsed(), '*', "TLS upgrade failed: " + ec.message() +
                                           (ch.raw().last_detail().empty()
                                                ? ""
                                                : " (" + ch.raw().last_detail() + ")"));
          act = fsm.on_io_error(ec, {});
        } else {
          auto info = ch.raw().tls();
          tr.add(timer.elapsed(), '*', "TLS established: " + info.version + " " + info.cipher);
          act = fsm.on_tls_ready();
        }
        break;
      }
      case fsm_action::kind::done: break;
    }
  }
  timer.enter(act.ph);
  timer.finish(true);
  if (fsm.outcome().error) timer.mark_failed(fsm.outcome().failed_phase);
}

}  // namespace mh
