#include "smtp/smtp_fsm.hpp"

#include <chrono>
#include <ctime>
#include <random>

#include "core/error.hpp"
#include "core/text.hpp"

namespace mh::smtp {
namespace {

bool three_digits(std::string_view l) {
  return l.size() >= 3 && l[0] >= '2' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' &&
         l[2] >= '0' && l[2] <= '9';
}

}  // namespace

std::optional<reply> parse_reply(const std::vector<std::string>& lines) {
  reply out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!three_digits(l)) return std::nullopt;
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    bool last = i + 1 == lines.size();
    char sep = l.size() > 3 ? l[3] : ' ';
    if (last ? sep != ' ' : sep != '-') return std::nullopt;
    if (i == 0) out.code = code;
    else if (code != out.code) return std::nullopt;
    out.text.emplace_back(l.size() > 4 ? l.substr(4) : std::string_view{});
  }
  if (lines.empty()) return std::nullopt;
  return out;
}

std::string test_message(std::string_view from, std::string_view to) {
  std::time_t now = std::time(nullptr);
  std::string date = format_utc(now, "%a, %d %b %Y %H:%M:%S +0000");
  std::random_device rd;
  std::string id = std::to_string(rd()) + "." + std::to_string(now);
  std::string m;
  m += "From: <" + std::string(from) + ">\r\n";
  m += "To: <" + std::string(to) + ">\r\n";
  m += "Subject: mailharness OAuth submission test\r\n";
  m += std::string("Date: ") + date + "\r\n";
  m += "Message-ID: <" + id + "@mailharness.invalid>\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  m += "This message was sent by mailharness to check OAuth SMTP submission.\r\n";
  m += ".\r\n";
  return m;
}

fsm_action client::start() { return receive(phase::greeting); }

line_kind client::classify(std::string_view line, bool) {
  using k = line_kind::k;
  if (line.size() >= 4 && three_digits(line) && line[3] == '-') return {k::more};
  if (st_ == st::auth && line.starts_with("334") && (line.size() == 3 || line[3] == ' '))
    return {k::continuation};
  return {k::final};
}

fsm_action client::ehlo(phase p) {
  st_ = st::ehlo;
  return send(p, "EHLO " + p_.ehlo_name + "\r\n");
}

fsm_action client::on_response(const response& r) {
  const std::string& last = r.last();
  auto rp = parse_reply(r.lines);
  if (!rp) return fail(errc::weird_server_reply, r.text(), "malformed SMTP reply");
  int c = rp->code;
  if (c == 421 && st_ != st::greeting && st_ != st::quit)
    return fail(errc::session_closed_by_peer, r.text(), "the server closed the session");
  switch (st_) {
    case st::greeting:
      facts_.greeting = r.text();
      if (c == 220) return ehlo(phase::capability);
      if (c == 554 || c / 100 == 4 || c / 100 == 5)
        return fail(errc::greeting_refused, r.text(), "the server refused service");
      return fail(errc::weird_server_reply, r.text(), "the greeting is not 220");
    case st::ehlo: return on_ehlo(*rp, last);
    case st::starttls:
      if (c != 220) return fail(errc::starttls_refused, r.text(), "the server refused STARTTLS");
      return start_tls(phase::tls_upgrade);
    case st::auth: return on_auth(r, *rp);
    case st::probe_mail:
      if (c != 250)
        return fail_then_quit(errc::probe_denied, r.text(),
                              c == 530 ? "authenticated, but the server does not accept mail "
                                         "from this session (not authenticated)"
                                       : "authenticated, but MAIL FROM was refused");
      st_ = st::probe_rset;
      return send(phase::probe, "RSET\r\n");
    case st::probe_rset:
      if (c != 250) return fail_then_quit(errc::command_rejected, r.text(), "RSET was refused");
      if (!p_.send_test_to.empty()) return begin_send();
      return quit();
    case st::send_mail:
      if (c != 250)
        return fail_then_quit(errc::command_rejected, r.text(), "MAIL FROM was refused");
      st_ = st::send_rcpt;
      return send(phase::send, "RCPT TO:<" + p_.send_test_to + ">\r\n");
    case st::send_rcpt:
      if (c != 250 && c != 251)
        return fail_then_quit(errc::command_rejected, r.text(), "RCPT TO was refused");
      st_ = st::send_data;
      return send(phase::send, "DATA\r\n");
    case st::send_data:
      if (c != 354) return fail_then_quit(errc::command_rejected, r.text(), "DATA was refused");
      st_ = st::send_body;
      return send(phase::send, test_message(p_.creds.user, p_.send_test_to),
                  "<test message>");
    case st::send_body:
      if (c != 250)
        return fail_then_quit(errc::command_rejected, r.text(), "the message was not accepted");
      return quit();
    case st::quit: return finish();
  }
  return fail(errc::internal, last, "unexpected state");
}

fsm_action client::on_ehlo(const reply& rp, const std::string& last) {
  if (rp.code != 250) return fail(errc::command_rejected, last, "the server refused EHLO");
  ext_.assign(rp.text.begin() + 1, rp.text.end());
  std::string all;
  for (const auto& e : ext_) all += (all.empty() ? "" : " | ") + e;
  facts_.capabilities = all;
  if (p_.starttls && !tls_done_) {
    bool has = false;
    for (const auto& e : ext_) has = has || ascii_upper(e) == "STARTTLS";
    if (!has) return fail(errc::starttls_unavailable, last, "the server does not advertise STARTTLS");
    st_ = st::starttls;
    return send(phase::starttls, "STARTTLS\r\n");
  }
  sasl::mech_set mechs = 0;
  for (const auto& e : ext_) {
    std::string u = ascii_upper(e);
    if (u.starts_with("AUTH ") || u.starts_with("AUTH="))
      mechs |= sasl::parse_mech_list(std::string_view(e).substr(5));
  }
  st_ = st::auth;
  return begin_sasl(p_, "AUTH", sasl::smtp_params, mechs, true, true);
}

fsm_action client::on_tls_ready() {
  tls_done_ = true;
  return ehlo(phase::capability2);
}

fsm_action client::on_auth(const response& r, const reply& rp) {
  if (r.continuation) return continue_sasl(rp.text.back(), r.text());
  if (rp.code == 235) return after_auth();
  return fail_then_quit(errc::login_denied, r.text(), denial_message());
}

fsm_action client::after_auth() {
  if (p_.probe) {
    st_ = st::probe_mail;
    return send(phase::probe, "MAIL FROM:<" + p_.creds.user + ">\r\n");
  }
  if (!p_.send_test_to.empty()) return begin_send();
  return quit();
}

fsm_action client::begin_send() {
  st_ = st::send_mail;
  return send(phase::send, "MAIL FROM:<" + p_.creds.user + ">\r\n");
}

fsm_action client::quit() {
  st_ = st::quit;
  return send(phase::logout, "QUIT\r\n");
}

fsm_action client::fail_then_quit(std::error_code ec, std::string reply, std::string message) {
  defer_failure(ec, std::move(reply), std::move(message));
  return quit();
}

fsm_action client::on_io_error(std::error_code ec, const response& partial) {
  // A server may hang up after 221 or early; a deferred failure is the one that matters.
  if (st_ == st::quit || has_deferred_failure()) return finish();
  // 421 before closing: the server shut the session down.
  if (!partial.lines.empty() && partial.lines.front().starts_with("421") &&
      ec == errc::connection_lost)
    return fail(errc::session_closed_by_peer, partial.text(), "the server closed the session");
  return client_fsm::on_io_error(ec, partial);
}

}  // namespace mh::smtp
