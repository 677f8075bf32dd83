// The fake's SMTP submission session (RFC 5321, 3207, 4954) with Exchange Online's texts
// (exchange-facts §3): STARTTLS first, then AUTH LOGIN XOAUTH2; 535 5.7.3 / 5.7.139 on
// failure, 530 5.7.57 for mail without authentication, 550 5.7.60 without Send As, and
// optionally the 3-submitters-per-mailbox limit (432 4.3.2). Delivered mail lands in the
// recipient's INBOX when the recipient is a mailbox of the tenant.
#include <chrono>
#include <ctime>
#include <random>

#include "core/base64.hpp"
#include "mail/auth_check.hpp"
#include "mail/exchange_text.hpp"
#include "mail/sessions.hpp"
#include "core/text.hpp"

namespace mh::fake {
namespace {

std::string path_address(const std::string& arg) {  // "FROM:<a@b> SIZE=1" -> "a@b"
  auto lt = arg.find('<'), gt = arg.find('>');
  if (lt == std::string::npos || gt == std::string::npos || gt < lt) return {};
  return arg.substr(lt + 1, gt - lt - 1);
}

std::string greeting_time() {
  // Day of month not zero-padded (exchange-facts §3.1).
  std::string s = format_utc(std::time(nullptr), "%a, %e %b %Y %H:%M:%S +0000");
  auto dd = s.find("  ");
  if (dd != std::string::npos) s.erase(dd, 1);
  return s;
}

std::string hex_id() {
  static std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(rng()));
  return buf;
}

class smtp_session {
 public:
  explicit smtp_session(session_io& io) : io_(io) {}
  ~smtp_session() {
    if (counted_) --io_.ctx().smtp_active[mailbox_];
  }
  net::awaitable<void> run();

 private:
  net::awaitable<bool> command(const std::string& verb, const std::string& arg);
  net::awaitable<bool> ehlo(const std::string& verb, const std::string& arg);
  net::awaitable<bool> auth(const std::string& arg);
  net::awaitable<bool> data();
  std::string host() const { return io_.ctx().cfg.server_fqdn; }
  std::string suffix() const { return " [" + host() + "]"; }

  session_io& io_;
  bool tls_ = false, helo_ = false, authenticated_ = false, counted_ = false;
  bool in_transaction_ = false;
  std::string mailbox_, principal_, from_;
  std::vector<std::string> rcpts_;
};

net::awaitable<void> smtp_session::run() {
  if (auto faulted = co_await io_.apply_fault("GREETING"); !faulted) {
    if (auto cw = co_await io_.send("220 " + host() + " Microsoft ESMTP MAIL Service ready at " +
                           greeting_time() + " [" + hex_id() + "]"); !cw)
      co_return;
  }
  auto& cfg = io_.ctx().cfg;
  while (!io_.closed()) {
    auto r = co_await io_.read_line(authenticated_ ? cfg.idle_timeout : cfg.login_timeout);
    if (r.ec) {
      if (r.ec == errc::line_too_long) co_await io_.send("500 5.5.2 Line too long" + suffix());
      break;
    }
    auto sp = r.line.find(' ');
    std::string verb = ascii_upper(r.line.substr(0, sp));
    std::string arg = sp == std::string::npos ? "" : r.line.substr(sp + 1);
    if (auto cw = co_await io_.apply_fault(verb); cw) continue;
    if (auto cw = co_await command(verb, arg); !cw) break;
  }
  co_await io_.close();
}

net::awaitable<bool> smtp_session::command(const std::string& verb, const std::string& arg) {
  auto& ctx = io_.ctx();
  if (verb == "EHLO" || verb == "HELO") co_return co_await ehlo(verb, arg);
  if (verb == "STARTTLS") {
    if (tls_) co_return co_await io_.send("503 5.5.1 Bad sequence of commands" + suffix());
    if (auto cw = co_await io_.send("220 2.0.0 SMTP server ready"); !cw) co_return false;
    if (auto cw = co_await io_.tls_handshake(); !cw) co_return false;
    tls_ = true;
    helo_ = false;
    co_return true;
  }
  if (verb == "NOOP") co_return co_await io_.send("250 2.0.0 OK");
  if (verb == "QUIT") {
    co_await io_.send("221 2.0.0 Service closing transmission channel");
    co_return false;
  }
  if (verb == "RSET") {
    from_.clear();
    rcpts_.clear();
    in_transaction_ = false;
    co_return co_await io_.send("250 2.0.0 Resetting");
  }
  if (verb == "AUTH") {
    if (!tls_) co_return co_await io_.send(std::string(text::smtp_unrecognized_auth) + suffix());
    if (!helo_) co_return co_await io_.send("503 5.5.2 Send hello first" + suffix());
    if (authenticated_) co_return co_await io_.send("503 5.5.1 Bad sequence of commands" + suffix());
    co_return co_await auth(arg);
  }
  if (verb == "MAIL") {
    if (!helo_) co_return co_await io_.send("503 5.5.2 Send hello first" + suffix());
    if (!authenticated_) co_return co_await io_.send(text::smtp_not_authenticated);
    if (!ascii_upper(arg).starts_with("FROM:"))
      co_return co_await io_.send("501 5.5.4 Invalid arguments" + suffix());
    std::string from = path_address(arg);
    if (ctx.cfg.smtp_concurrency_limit && ctx.smtp_active[mailbox_] > 3)
      co_return co_await io_.send(std::string(text::smtp_thread_limit) + " [Hostname=" + host() + "]");
    bool allowed = from == mailbox_ ? true : may_send_as(ctx.t, principal_, from);
    if (!from.empty() && !allowed) co_return co_await io_.send(text::smtp_send_as_denied);
    from_ = from;
    rcpts_.clear();
    in_transaction_ = true;
    co_return co_await io_.send("250 2.1.0 Sender OK");
  }
  if (verb == "RCPT") {
    if (!authenticated_) co_return co_await io_.send(text::smtp_not_authenticated);
    if (!in_transaction_)
      co_return co_await io_.send("503 5.5.1 Bad sequence of commands" + suffix());
    if (!ascii_upper(arg).starts_with("TO:"))
      co_return co_await io_.send("501 5.5.4 Invalid arguments" + suffix());
    std::string to = path_address(arg);
    if (to.empty()) co_return co_await io_.send("501 5.1.3 Invalid address" + suffix());
    if (rcpts_.size() >= 500) co_return co_await io_.send("452 4.5.3 Too many recipients" + suffix());
    rcpts_.push_back(to);
    co_return co_await io_.send("250 2.1.5 Recipient OK");
  }
  if (verb == "DATA") {
    if (!authenticated_) co_return co_await io_.send(text::smtp_not_authenticated);
    if (rcpts_.empty()) co_return co_await io_.send("503 5.5.1 Bad sequence of commands" + suffix());
    co_return co_await data();
  }
  std::string shown = verb.substr(0, 32);
  co_return co_await io_.send("500 5.3.3 Unrecognized command '" + shown + "'" + suffix());
}

net::awaitable<bool> smtp_session::ehlo(const std::string& verb, const std::string& arg) {
  if (arg.empty()) co_return co_await io_.send("501 5.5.4 Invalid domain name" + suffix());
  helo_ = true;
  std::string hello = host() + " Hello [" + io_.peer().substr(0, io_.peer().rfind(':')) + "]";
  if (verb == "HELO") co_return co_await io_.send("250 " + hello);
  std::string out = "250-" + hello + "\r\n250-SIZE 157286400\r\n250-PIPELINING\r\n250-DSN\r\n"
                    "250-ENHANCEDSTATUSCODES\r\n";
  out += tls_ ? "250-AUTH LOGIN XOAUTH2\r\n" : "250-STARTTLS\r\n";
  out += "250-8BITMIME\r\n250-BINARYMIME\r\n250-CHUNKING\r\n250 SMTPUTF8\r\n";
  co_return co_await io_.send_raw(out);
}

net::awaitable<bool> smtp_session::auth(const std::string& arg) {
  auto& ctx = io_.ctx();
  auto sp = arg.find(' ');
  std::string mech = ascii_upper(arg.substr(0, sp));
  bool ir = sp != std::string::npos;
  std::string b64 = ir ? arg.substr(sp + 1) : "";
  if (mech == "LOGIN")  // basic authentication is off: Exchange's wording
    co_return co_await io_.login_failed(
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled." + suffix());
  bool oauth = mech == "XOAUTH2" || (mech == "OAUTHBEARER" && ctx.cfg.accept_oauthbearer);
  if (!oauth) co_return co_await io_.send(std::string(text::smtp_unrecognized_auth) + suffix());
  if (!ir) {
    if (auto cw = co_await io_.send("334 "); !cw) co_return false;
    auto r = co_await io_.read_line(ctx.cfg.login_timeout);
    if (r.ec) co_return false;
    if (r.line == "*") co_return co_await io_.send(std::string(text::smtp_auth_failed) + suffix());
    b64 = std::move(r.line);
  }
  auto payload = base64_decode(b64 == "=" ? "" : b64);
  auth_result res;
  if (payload) {
    res = check_and_record(io_, mech, *payload, ir);
    OPENSSL_cleanse(payload->data(), payload->size());
  }
  switch (res.verdict) {
    case auth_verdict::ok:
      authenticated_ = true;
      mailbox_ = res.mailbox;
      principal_ = res.principal;
      ++ctx.smtp_active[mailbox_];
      counted_ = true;
      io_.set_authenticated();
      co_return co_await io_.send(text::smtp_auth_ok);
    case auth_verdict::smtp_disabled_tenant:
      co_return co_await io_.login_failed(text::smtp_auth_disabled_tenant + suffix());
    case auth_verdict::smtp_disabled_mailbox:
      co_return co_await io_.login_failed(text::smtp_auth_disabled_mailbox + suffix());
    default:
      co_return co_await io_.login_failed(text::smtp_auth_failed + suffix());
  }
}

net::awaitable<bool> smtp_session::data() {
  auto& ctx = io_.ctx();
  if (auto cw = co_await io_.send("354 Start mail input; end with <CRLF>.<CRLF>"); !cw) co_return false;
  std::string msg;
  while (true) {
    auto r = co_await io_.read_line(ctx.cfg.idle_timeout);
    if (r.ec) co_return false;
    if (r.line == ".") break;
    std::string_view l = r.line;
    if (l.starts_with("..")) l.remove_prefix(1);  // dot-unstuffing
    msg.append(l).append("\r\n");
    if (msg.size() > ctx.cfg.max_literal) {
      co_await io_.send("552 5.3.4 Message size exceeds fixed maximum message size" + suffix());
      co_return false;
    }
  }
  std::string id = "<" + hex_id() + "@" + host() + ">";
  int delivered = 0;
  for (const auto& r : rcpts_) delivered += ctx.store.deliver(r, msg) ? 1 : 0;
  ctx.events.add("smtp.submitted", {{"peer", io_.peer()}, {"from", from_}, {"recipients", rcpts_.size()},
                                    {"delivered_locally", delivered}, {"octets", msg.size()}});
  from_.clear();
  rcpts_.clear();
  in_transaction_ = false;
  co_return co_await io_.send("250 2.0.0 OK " + id + " [Hostname=" + host() + "]");
}

}  // namespace

net::awaitable<void> run_smtp_session(session_io& io) {
  smtp_session s(io);
  co_await s.run();
}

}  // namespace mh::fake
