// Shared by fuzz_imap_client, fuzz_pop3_client and fuzz_smtp_client: one full OAuth login
// of a protocol client FSM through the real driver (session/driver.cpp), line_channel and
// line_buffer, over an in-memory transport whose server bytes come from the fuzz input.
//
// Input: byte 0 picks the login (bit 0: OAUTHBEARER else XOAUTH2; bits 1-2: form auto /
// initial-response / two-step / auto; bit 3: STARTTLS; bit 4: no probe; bit 5: fetch;
// bit 6: allow unadvertised; bit 7: mechanism auto), byte 1 the transport (bits 0-3: bytes
// per read, 0 = all; bit 4: out of data = timeout instead of EOF; bit 5: TLS handshake
// fails; bit 6: max_line 200 instead of 64 KiB). The rest is what the server sends, in
// segments separated by NUL: segment 0 at once (greeting), segment i after the client's
// i-th write, as on a real wire.
//
// Invariants checked after every login:
//   - the driver ends, and the client wrote at most once per line the server completed
//     (bounded steps for a bounded input);
//   - success only after the protocol's success reply to the AUTH command was read
//     (IMAP "<tag> OK", POP3 "+OK", SMTP "235"), and only with OAuth credentials sent;
//   - a failure has an error class, a message, and for the server's refusals (login,
//     probe, greeting, session closed) the exact non-empty reply;
//   - the token and the base64 SASL payload appear in nothing the FSM reports (outcome,
//     facts, the transcript's client lines), only on the wire; unless the server's own
//     bytes carried them.
#pragma once

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "core/transcript.hpp"
#include "sasl/mechanism.hpp"
#include "session/driver.hpp"
#include "session/login.hpp"

namespace mh::fuzz {

inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Server segments released one per client write; reads return at most read_size bytes.
class script_transport final : public transport {
 public:
  script_transport(std::vector<std::string_view> segments, std::size_t read_size, bool stall,
                   bool handshake_fails)
      : segments_(std::move(segments)), read_size_(read_size), stall_(stall),
        handshake_fails_(handshake_fails) {
    readable_ = segments_.empty() ? std::string() : std::string(segments_[0]);
  }

  net::awaitable<io_result> read_some(std::span<char> buf) override {
    if (pos_ >= readable_.size())
      co_return io_result{make_error_code(stall_ ? errc::timed_out : errc::connection_lost), 0};
    std::size_t n = std::min({buf.size(), read_size_, readable_.size() - pos_});
    std::copy_n(readable_.data() + pos_, n, buf.data());
    pos_ += n;
    co_return io_result{{}, n};
  }
  net::awaitable<std::error_code> write_all(std::string_view data) override {
    ++writes;
    written.append(data);
    if (released_ < segments_.size()) readable_.append(segments_[released_++]);
    co_return std::error_code{};
  }
  net::awaitable<std::error_code> handshake() override {
    if (handshake_fails_) co_return make_error_code(errc::tls_handshake_failed);
    tls_.active = true;
    co_return std::error_code{};
  }
  void set_timeout(std::chrono::milliseconds) override {}
  tls_info tls() const override { return tls_; }
  std::string last_detail() const override { return {}; }
  void close() override {}

  std::string written;
  std::size_t writes = 0;

 private:
  std::vector<std::string_view> segments_;
  std::size_t read_size_;
  bool stall_, handshake_fails_;
  std::string readable_;
  std::size_t pos_ = 0, released_ = 1;
  tls_info tls_;
};

inline constexpr std::string_view fuzz_user = "alice@contoso.com";
inline constexpr std::string_view fuzz_token = "eyJ0eXAiOiJKV1QifQ.fz-SECRET-7f3a9c.c2ln";

// Coroutine parameters by value (pointers): the caller's objects outlive io.run().
inline net::awaitable<void> drive_and_mark(client_fsm* fsm, line_channel* ch, transcript* tr,
                                           phase_timer* timer, bool* done) {
  co_await drive(*fsm, *ch, *tr, *timer, driver_limits{});
  *done = true;
}

// The protocol's success reply to the AUTH command, somewhere after that command.
inline bool saw_auth_success(protocol p, const std::vector<transcript_line>& lines) {
  std::string tag;
  bool after_auth = false;
  for (const auto& l : lines) {
    std::string_view t = l.text;
    if (l.dir == 'C') {
      if (p == protocol::imap) {
        auto sp = t.find(' ');
        if (sp != std::string_view::npos && t.substr(sp + 1).starts_with("AUTHENTICATE ")) {
          tag = std::string(t.substr(0, sp));
          after_auth = true;
        }
      } else if (t.starts_with("AUTH ")) {
        after_auth = true;
      }
      continue;
    }
    if (l.dir != 'S' || !after_auth) continue;
    switch (p) {
      case protocol::imap:
        if (t.size() >= tag.size() + 3 && t.substr(0, tag.size() + 1) == tag + " " &&
            iequals(t.substr(tag.size() + 1, 2), "OK") &&
            (t.size() == tag.size() + 3 || t[tag.size() + 3] == ' '))
          return true;
        break;
      case protocol::pop3:
        if (t.starts_with("+OK")) return true;
        break;
      case protocol::smtp:
        if (t.starts_with("235")) return true;
        break;
    }
  }
  return false;
}

inline int fuzz_login(protocol proto, const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t a = data[0], b = data[1];
  std::string_view server(reinterpret_cast<const char*>(data) + 2, size - 2);

  login_options o;
  o.proto = proto;
  o.host = "outlook.office365.com";
  o.tls = (a & 0x08) ? tls_mode::starttls : tls_mode::implicit;
  auto& c = o.client;
  c.creds.user = std::string(fuzz_user);
  c.creds.token = secret_string(std::string(fuzz_token));
  c.mech = (a & 0x80) ? sasl::choice::automatic
           : (a & 0x01) ? sasl::choice::oauthbearer
                        : sasl::choice::xoauth2;
  static constexpr sasl::form forms[] = {sasl::form::automatic, sasl::form::initial_response,
                                         sasl::form::two_step, sasl::form::automatic};
  c.form = forms[(a >> 1) & 3];
  c.probe = (a & 0x10) == 0;
  c.fetch = (a & 0x20) != 0;
  c.allow_unadvertised = (a & 0x40) != 0;
  if (b & 0x40) o.limits.max_line = 200;
  auto fsm = make_client(o);

  std::vector<std::string_view> segments;
  for (std::size_t i = 0;;) {
    auto j = server.find('\0', i);
    segments.push_back(server.substr(i, j == std::string_view::npos ? j : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  std::size_t read_size = (b & 0x0f) ? (b & 0x0f) : server.size() + 1;
  script_transport t(segments, read_size, (b & 0x10) != 0, (b & 0x20) != 0);
  static const redactor none;  // the FSM itself must keep secrets out of what it reports
  transcript tr(none);
  phase_timer timer;
  line_channel ch(t, o.limits);
  bool done = false;
  {
    net::io_context io;
    net::co_spawn(io, drive_and_mark(fsm.get(), &ch, &tr, &timer, &done), net::detached);
    io.run();
  }
  check(done);

  // Bounded: every write follows a complete server response (at least one LF).
  check(t.writes <= static_cast<std::size_t>(std::count(server.begin(), server.end(), '\n')));

  const fsm_outcome& out = fsm->outcome();
  const session_facts& facts = fsm->facts();
  if (!out.error) {
    check(saw_auth_success(proto, tr.lines()));
    check(facts.mechanism == "XOAUTH2" || facts.mechanism == "OAUTHBEARER");
  } else {
    check(classify(out.error) != error_class::none);
    check(!out.message.empty());
    if (out.error == errc::login_denied || out.error == errc::probe_denied ||
        out.error == errc::greeting_refused || out.error == errc::session_closed_by_peer)
      check(!out.reply.empty());
  }

  // Secrets: the token, and the base64 payloads that carry it.
  std::vector<std::string> secrets{std::string(fuzz_token)};
  secrets.push_back(base64_encode(sasl::xoauth2_payload(fuzz_user, fuzz_token)));
  secrets.push_back(base64_encode(
      sasl::oauthbearer_payload(fuzz_user, o.host, default_port(proto), fuzz_token)));
  auto server_had = [&](const std::string& s) {
    return server.find(s) != std::string_view::npos ||
           facts.sasl_server_error.find(s) != std::string::npos;
  };
  std::vector<const std::string*> reported{&out.reply, &out.message, &facts.greeting,
                                           &facts.capabilities, &facts.capabilities_after_auth,
                                           &facts.mechanism, &facts.sasl_form};
  for (const auto& l : tr.lines())
    if (l.dir != 'S') reported.push_back(&l.text);
  for (const auto& s : secrets) {
    if (server_had(s)) continue;
    for (const auto* r : reported) check(r->find(s) == std::string::npos);
  }
  return 0;
}

}  // namespace mh::fuzz
