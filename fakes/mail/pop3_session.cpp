// The fake's POP3 session (RFC 1939, RFC 2449, RFC 5034) with Exchange Online's texts
// (exchange-facts §2): the two-step AUTH XOAUTH2 only; credentials on the AUTH line close
// the connection with "-ERR Protocol error. Connection is closed. 10".
#include <algorithm>

#include "core/base64.hpp"
#include "mail/auth_check.hpp"
#include "mail/exchange_text.hpp"
#include "mail/sessions.hpp"
#include "core/text.hpp"

namespace mh::fake {
namespace {

std::optional<std::size_t> number(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
  return std::stoul(s);
}

// Dot-stuffed multi-line body ending with ".".
std::string multiline(const std::string& data) {
  std::string out;
  std::size_t i = 0;
  while (i < data.size()) {
    std::size_t e = data.find("\r\n", i);
    if (e == std::string::npos) e = data.size();
    std::string line = data.substr(i, e - i);
    if (line.starts_with(".")) out += ".";
    out += line + "\r\n";
    i = e + 2;
  }
  return out + ".\r\n";
}

class pop3_session {
 public:
  explicit pop3_session(session_io& io) : io_(io) {}
  net::awaitable<void> run();

 private:
  net::awaitable<bool> command(const std::string& verb, const std::vector<std::string>& args);
  net::awaitable<bool> auth(const std::vector<std::string>& args);
  net::awaitable<bool> transaction(const std::string& verb, const std::vector<std::string>& args);
  const stored_message* message(const std::vector<std::string>& args, std::size_t& n);

  session_io& io_;
  bool authenticated_ = false;
  std::string mailbox_;
  std::vector<stored_message> msgs_;
  std::vector<bool> deleted_;
};

net::awaitable<void> pop3_session::run() {
  auto& ctx = io_.ctx();
  if (auto cw = co_await io_.tls_handshake(); !cw) co_return;
  if (auto faulted = co_await io_.apply_fault("GREETING"); !faulted) {
    if (auto cw = co_await io_.send(std::string(text::pop3_greeting_prefix) +
                           greeting_blob(ctx.cfg.server_fqdn) + "]"); !cw)
      co_return;
  }
  while (!io_.closed()) {
    auto r = co_await io_.read_line(authenticated_ ? ctx.cfg.idle_timeout : ctx.cfg.login_timeout);
    if (r.ec) {
      if (r.ec == errc::line_too_long) co_await io_.send(text::pop3_protocol_error);
      break;
    }
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < r.line.size()) {
      std::size_t j = r.line.find(' ', i);
      if (j == std::string::npos) j = r.line.size();
      if (j > i) words.push_back(r.line.substr(i, j - i));
      i = j + 1;
    }
    if (words.empty()) {
      if (auto cw = co_await io_.send("-ERR Protocol error. 14"); !cw) break;
      continue;
    }
    std::string verb = ascii_upper(words[0]);
    words.erase(words.begin());
    if (auto cw = co_await io_.apply_fault(verb); cw) continue;
    if (auto cw = co_await command(verb, words); !cw) break;
  }
  co_await io_.close();
}

net::awaitable<bool> pop3_session::command(const std::string& verb,
                                           const std::vector<std::string>& args) {
  if (verb == "CAPA")
    co_return co_await io_.send_raw("+OK\r\nTOP\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\nUSER\r\n.\r\n");
  if (verb == "NOOP") co_return co_await io_.send("+OK");
  if (verb == "QUIT") {
    if (authenticated_) {
      std::vector<std::uint32_t> gone;
      for (std::size_t i = 0; i < msgs_.size(); ++i)
        if (deleted_[i]) gone.push_back(msgs_[i].uid);
      io_.ctx().store.remove(mailbox_, gone);
    }
    co_await io_.send(text::pop3_bye);
    co_return false;
  }
  if (!authenticated_) {
    if (verb == "AUTH") co_return co_await auth(args);
    if (verb == "USER") co_return co_await io_.send("+OK");
    if (verb == "PASS")
      co_return co_await io_.login_failed("-ERR Logon failure: unknown user name or bad password.");
    co_return co_await io_.send(text::pop3_not_valid);
  }
  co_return co_await transaction(verb, args);
}

net::awaitable<bool> pop3_session::auth(const std::vector<std::string>& args) {
  auto& ctx = io_.ctx();
  if (args.empty()) co_return co_await io_.send_raw("+OK\r\nPLAIN\r\nXOAUTH2\r\n.\r\n");
  std::string mech = ascii_upper(args[0]);
  if (mech != "XOAUTH2" && mech != "PLAIN") co_return co_await io_.send("-ERR Unrecognized authentication type.");
  if (args.size() > 1) {  // initial response on the AUTH line: Exchange closes (§2.3)
    co_await io_.send(text::pop3_protocol_error);
    co_return false;
  }
  if (auto cw = co_await io_.send("+ "); !cw) co_return false;
  auto r = co_await io_.read_line(ctx.cfg.login_timeout);
  if (r.ec) {
    if (r.ec == errc::line_too_long) co_await io_.send(text::pop3_protocol_error);
    co_return false;
  }
  if (ctx.cfg.pop3_max_auth_line && r.line.size() > ctx.cfg.pop3_max_auth_line) {
    co_await io_.send(text::pop3_protocol_error);
    co_return false;
  }
  if (r.line == "*") co_return co_await io_.send("-ERR Authentication canceled.");
  auto payload = base64_decode(r.line);
  auth_result res;
  if (payload && mech == "XOAUTH2") {
    res = check_and_record(io_, mech, *payload, false);
    OPENSSL_cleanse(payload->data(), payload->size());
  }
  if (res.verdict != auth_verdict::ok) co_return co_await io_.login_failed(text::pop3_auth_failed);
  authenticated_ = true;
  io_.set_authenticated();
  mailbox_ = res.mailbox;
  msgs_ = ctx.store.snapshot(mailbox_);
  deleted_.assign(msgs_.size(), false);
  co_return co_await io_.send(text::pop3_auth_ok);
}

const stored_message* pop3_session::message(const std::vector<std::string>& args, std::size_t& n) {
  if (args.empty()) return nullptr;
  auto v = number(args[0]);
  if (!v || *v == 0 || *v > msgs_.size() || deleted_[*v - 1]) return nullptr;
  n = *v;
  return &msgs_[*v - 1];
}

net::awaitable<bool> pop3_session::transaction(const std::string& verb,
                                               const std::vector<std::string>& args) {
  std::size_t count = 0, octets = 0;
  for (std::size_t i = 0; i < msgs_.size(); ++i)
    if (!deleted_[i]) {
      ++count;
      octets += msgs_[i].data.size();
    }
  std::size_t n = 0;
  if (verb == "STAT")
    co_return co_await io_.send("+OK " + std::to_string(count) + " " + std::to_string(octets));
  if (verb == "LIST" || verb == "UIDL") {
    auto value = [&](std::size_t i) {
      return verb == "LIST" ? std::to_string(msgs_[i].data.size()) : std::to_string(msgs_[i].uid);
    };
    if (!args.empty()) {
      if (!message(args, n)) co_return co_await io_.send("-ERR The specified message is out of range.");
      co_return co_await io_.send("+OK " + std::to_string(n) + " " + value(n - 1));
    }
    std::string out = "+OK\r\n";
    for (std::size_t i = 0; i < msgs_.size(); ++i)
      if (!deleted_[i]) out += std::to_string(i + 1) + " " + value(i) + "\r\n";
    co_return co_await io_.send_raw(out + ".\r\n");
  }
  if (verb == "RETR" || verb == "TOP") {
    const stored_message* m = message(args, n);
    if (!m) co_return co_await io_.send("-ERR The specified message is out of range.");
    std::string data = m->data;
    if (verb == "TOP") {
      auto lines = args.size() > 1 ? number(args[1]) : std::nullopt;
      if (!lines) co_return co_await io_.send("-ERR Protocol error. 14");
      auto body = data.find("\r\n\r\n");
      std::size_t cut = body == std::string::npos ? data.size() : body + 4;
      for (std::size_t k = 0; k < *lines && cut < data.size(); ++k) {
        auto e = data.find("\r\n", cut);
        cut = e == std::string::npos ? data.size() : e + 2;
      }
      data = data.substr(0, cut);
    }
    co_return co_await io_.send_raw("+OK\r\n" + multiline(data));
  }
  if (verb == "DELE") {
    if (!message(args, n)) co_return co_await io_.send("-ERR The specified message is out of range.");
    deleted_[n - 1] = true;
    co_return co_await io_.send("+OK");
  }
  if (verb == "RSET") {
    deleted_.assign(msgs_.size(), false);
    co_return co_await io_.send("+OK");
  }
  co_return co_await io_.send(text::pop3_not_valid);
}

}  // namespace

net::awaitable<void> run_pop3_session(session_io& io) {
  pop3_session s(io);
  co_await s.run();
}

}  // namespace mh::fake
