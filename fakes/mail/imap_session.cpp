#include "mail/imap_session.hpp"

#include <algorithm>

#include "core/base64.hpp"
#include "mail/auth_check.hpp"
#include "mail/exchange_text.hpp"
#include "mail/imap_syntax.hpp"
#include "mail/sessions.hpp"
#include "core/text.hpp"

namespace mh::fake {
net::awaitable<void> run_imap_session(session_io& io) {
  imap_session s(io);
  co_await s.run();
}

bool imap_session::token_expired() const {
  return (st_ == state::authenticated || st_ == state::selected) && expires_ &&
         io_.ctx().now() >= expires_;
}

net::awaitable<bool> imap_session::reply(const std::string& tag, std::string_view text) {
  co_return co_await io_.send(tag + " " + std::string(text));
}

// Reads one command line, with its literals ({n} synchronising, {n+} LITERAL+).
net::awaitable<bool> imap_session::read_command(std::string& line) {
  auto& cfg = io_.ctx().cfg;
  bool before_login = st_ == state::not_authenticated;
  auto timeout = before_login ? cfg.login_timeout : cfg.idle_timeout;
  // Before login a whole command, literals included, fits in one line's budget.
  std::size_t budget = before_login ? cfg.max_line : cfg.max_literal;
  auto r = co_await io_.read_line(timeout);
  if (r.ec) {
    if (r.ec == errc::line_too_long) co_await io_.send("* BAD Command line too long.");
    co_return false;
  }
  line = std::move(r.line);
  std::size_t total = line.size();
  while (line.ends_with("}")) {
    auto open = line.rfind('{');
    if (open == std::string::npos) break;
    std::string num = line.substr(open + 1, line.size() - open - 2);
    bool nonsync = !num.empty() && num.back() == '+';
    if (nonsync) num.pop_back();
    if (num.empty() || num.size() > 10 || !std::all_of(num.begin(), num.end(), ::isdigit)) break;
    std::size_t n = std::stoull(num);
    total += n;
    if (total > budget) {
      co_await io_.send("* BAD Literal too big.");
      co_return false;
    }
    if (!nonsync) {
      if (auto cw = co_await io_.send("+ Ready for additional command text."); !cw) co_return false;
    }
    std::string data;
    if (auto cw = co_await io_.read_exact(n, data, timeout); cw) co_return false;
    auto more = co_await io_.read_line(timeout);
    if (more.ec) co_return false;
    total += more.line.size();
    // The literal becomes an escaped quoted string so one tokenizer serves both forms.
    line.erase(open);
    line += '"';
    for (char c : data) {
      if (c == '"' || c == '\\') line += '\\';
      line += c;
    }
    line += '"';
    line += more.line;
  }
  co_return true;
}

net::awaitable<void> imap_session::run() {
  auto& ctx = io_.ctx();
  if (auto cw = co_await io_.tls_handshake(); !cw) co_return;
  if (auto faulted = co_await io_.apply_fault("GREETING"); !faulted) {
    if (auto cw = co_await io_.send(std::string(text::imap_greeting_prefix) +
                           greeting_blob(ctx.cfg.server_fqdn) + "]"); !cw)
      co_return;
  }
  if (io_.closed()) co_return;
  while (!io_.closed()) {
    std::string line;
    if (auto cw = co_await read_command(line); !cw) break;
    auto sp = line.find(' ');
    if (sp == std::string::npos || sp == 0) {
      if (auto cw = co_await io_.send("* BAD Command Error. 10"); !cw) break;
      continue;
    }
    std::string tag = line.substr(0, sp);
    std::string rest = line.substr(sp + 1);
    auto sp2 = rest.find(' ');
    std::string verb = ascii_upper(rest.substr(0, sp2));
    rest = sp2 == std::string::npos ? "" : rest.substr(sp2 + 1);
    if (verb == "UID") {  // "UID FETCH ..." dispatches as "UID FETCH"
      auto sp3 = rest.find(' ');
      verb += " " + ascii_upper(rest.substr(0, sp3));
      rest = sp3 == std::string::npos ? "" : rest.substr(sp3 + 1);
    }
    if (token_expired()) {
      ctx.events.add("imap.session_expired", {{"peer", io_.peer()}, {"mailbox", mailbox_}});
      co_await io_.send(text::imap_bye_expired);
      break;
    }
    if (auto cw = co_await io_.apply_fault(verb, tag); cw) continue;
    if (auto cw = co_await dispatch(tag, verb, rest); !cw) break;
  }
  co_await io_.close();
}

net::awaitable<bool> imap_session::dispatch(const std::string& tag, const std::string& verb,
                                            const std::string& rest) {
  auto& ctx = io_.ctx();
  // CAPABILITY, NOOP, LOGOUT and ID work in every state, even "not connected" (§1.4).
  if (verb == "CAPABILITY") {
    std::string caps(st_ == state::not_authenticated ? text::imap_caps_pre : text::imap_caps_post);
    if (ctx.t.imap_login_disabled && st_ == state::not_authenticated) caps += " LOGINDISABLED";
    if (auto cw = co_await io_.send("* CAPABILITY " + caps); !cw) co_return false;
    co_return co_await reply(tag, "OK CAPABILITY completed.");
  }
  if (verb == "NOOP") co_return co_await reply(tag, "OK NOOP completed.");
  if (verb == "LOGOUT") {
    co_await io_.send(text::imap_bye_logout);
    co_await reply(tag, "OK LOGOUT completed.");
    co_return false;
  }
  if (verb == "ID") {
    if (auto cw = co_await io_.send("* ID NIL"); !cw) co_return false;
    co_return co_await reply(tag, "OK ID completed.");
  }
  if (st_ == state::not_authenticated) {
    if (verb == "AUTHENTICATE") co_return co_await authenticate(tag, rest);
    if (verb == "LOGIN") co_return co_await io_.login_failed(tag + " " + text::imap_login_failed);
    co_return co_await reply(tag, text::imap_command_error);
  }
  if (st_ == state::not_connected) co_return co_await not_connected(tag);
  if (verb == "AUTHENTICATE" || verb == "LOGIN")
    co_return co_await reply(tag, "BAD Command received in Invalid state.");
  if (verb == "NAMESPACE") {
    if (auto cw = co_await io_.send("* NAMESPACE ((\"\" \"/\")) NIL NIL"); !cw) co_return false;
    co_return co_await reply(tag, "OK NAMESPACE completed.");
  }
  if (verb == "LIST" || verb == "LSUB") co_return co_await list(tag, verb, rest);
  if (verb == "STATUS") co_return co_await status(tag, rest);
  if (verb == "SELECT") co_return co_await select(tag, rest, false);
  if (verb == "EXAMINE") co_return co_await select(tag, rest, true);
  if (verb == "IDLE") co_return co_await idle(tag);
  if (st_ == state::selected) {
    if (verb == "FETCH" || verb == "UID FETCH") co_return co_await fetch(tag, rest, verb != "FETCH");
    if (verb == "SEARCH" || verb == "UID SEARCH") co_return co_await search(tag, rest, verb != "SEARCH");
    if (verb == "STORE" || verb == "UID STORE") co_return co_await store(tag, rest, verb != "STORE");
    if (verb == "EXPUNGE") co_return co_await expunge(tag, true);
    if (verb == "CLOSE" || verb == "UNSELECT") {
      if (verb == "CLOSE" && !read_only_) co_await expunge({}, false);
      st_ = state::authenticated;
      msgs_.clear();
      co_return co_await reply(tag, "OK " + verb + " completed.");
    }
  }
  co_return co_await reply(tag, text::imap_command_error);
}

net::awaitable<bool> imap_session::authenticate(const std::string& tag, const std::string& rest) {
  auto& ctx = io_.ctx();
  auto sp = rest.find(' ');
  std::string mech = ascii_upper(rest.substr(0, sp));
  std::string b64 = sp == std::string::npos ? "" : rest.substr(sp + 1);
  bool ir = sp != std::string::npos;
  bool supported = mech == "XOAUTH2" || (mech == "OAUTHBEARER" && ctx.cfg.accept_oauthbearer);
  if (!supported) co_return co_await io_.login_failed(tag + " " + text::imap_auth_failed);
  if (!ir) {
    if (auto cw = co_await io_.send("+ "); !cw) co_return false;
    auto r = co_await io_.read_line(ctx.cfg.login_timeout);
    if (r.ec) co_return false;
    if (r.line == "*") co_return co_await reply(tag, "BAD AUTHENTICATE aborted.");
    b64 = std::move(r.line);
  }
  auto payload = base64_decode(b64 == "=" ? "" : b64);
  if (!payload) co_return co_await io_.login_failed(tag + " " + text::imap_auth_failed);
  auth_result res = check_and_record(io_, mech, *payload, ir);
  // The analyser loses track of `payload` across the coroutine's suspension points; nothing
  // reallocates it between the decode and this wipe.
  OPENSSL_cleanse(payload->data(), payload->size());  // NOLINT(clang-analyzer-cplusplus.InnerPointer)
  switch (res.verdict) {
    case auth_verdict::ok:
    case auth_verdict::not_connected: {
      mailbox_ = res.mailbox;
      expires_ = res.expires;
      if (auto after = io_.take_expiry_fault()) expires_ = std::min(expires_, ctx.now() + *after);
      st_ = res.verdict == auth_verdict::ok ? state::authenticated : state::not_connected;
      io_.set_authenticated();
      co_return co_await reply(tag, text::imap_auth_ok);
    }
    default:
      co_return co_await io_.login_failed(tag + " " + text::imap_auth_failed);
  }
}

// exchange-facts §1.4: every mailbox command gets BAD; after the second, BYE and close.
net::awaitable<bool> imap_session::not_connected(const std::string& tag) {
  if (auto cw = co_await reply(tag, text::imap_not_connected); !cw) co_return false;
  if (++not_connected_replies_ < 2) co_return true;
  co_await io_.send(text::imap_bye_not_connected);
  co_return false;
}

net::awaitable<bool> imap_session::idle(const std::string& tag) {
  if (auto cw = co_await io_.send("+ IDLE accepted, awaiting DONE command."); !cw) co_return false;
  auto r = co_await io_.read_line(io_.ctx().cfg.idle_timeout);
  if (r.ec) co_return false;
  if (ascii_upper(r.line) != "DONE") co_return co_await reply(tag, "BAD Command Argument Error. 11");
  co_return co_await reply(tag, "OK IDLE completed.");
}

}  // namespace mh::fake
