#include "pop3/pop3_fsm.hpp"

#include <algorithm>
#include <charconv>

#include <cstdio>

#include "core/error.hpp"
#include "core/text.hpp"

namespace mh::pop3 {
namespace {

bool is_ok(std::string_view l) { return l == "+OK" || l.starts_with("+OK "); }
bool is_err(std::string_view l) { return l == "-ERR" || l.starts_with("-ERR "); }
bool is_continuation(std::string_view l) { return l == "+" || l.starts_with("+ "); }

}  // namespace

fsm_action client::start() {
  first_line_ = true;
  return receive(phase::greeting);
}

fsm_action client::command(phase p, std::string text, std::string shown) {
  multiline_ = st_ == st::capa || st_ == st::retr;
  first_line_ = true;
  return send(p, text + "\r\n", std::move(shown));
}

line_kind client::classify(std::string_view line, bool) {
  using k = line_kind::k;
  if (first_line_) {
    first_line_ = false;
    if (st_ == st::auth && is_continuation(line)) return {k::continuation};
    if (multiline_ && is_ok(line)) return {k::more};
    return {k::final};
  }
  return line == "." ? line_kind{k::final} : line_kind{k::more};
}

fsm_action client::on_response(const response& r) {
  const std::string& first = r.lines.front();
  switch (st_) {
    case st::greeting:
      facts_.greeting = first;
      if (is_err(first)) return fail(errc::greeting_refused, first, "the server refused service");
      if (!is_ok(first)) return fail(errc::weird_server_reply, first, "the greeting is not +OK");
      st_ = st::capa;
      return command(phase::capability, "CAPA");
    case st::capa: return on_capa(r);
    case st::stls:
      if (!is_ok(first)) return fail(errc::starttls_refused, first, "the server refused STLS");
      return start_tls(phase::tls_upgrade);
    case st::auth: return on_auth(r);
    case st::probe:
      if (is_ok(first)) {
        // "+OK <count> <octets>": fetch the first message when asked and there is one.
        unsigned long count = 0;  // from_chars: a hostile count cannot overflow (sscanf would be UB)
        const char* b = first.data() + std::min<std::size_t>(first.size(), 4);  // after "+OK "
        bool counted = std::from_chars(b, first.data() + first.size(), count).ec == std::errc();
        if (p_.fetch && counted && count > 0) {
          st_ = st::retr;
          return command(phase::fetch, "RETR 1");
        }
        return quit();
      }
      defer_failure(is_err(first) ? make_error_code(errc::probe_denied)
                                  : make_error_code(errc::weird_server_reply),
                    first, "authenticated, but STAT was refused");
      return quit();
    case st::retr:
      if (!is_ok(first)) defer_failure(errc::command_rejected, first, "the first message could not be retrieved");
      return quit();
    case st::quit: return finish();
  }
  return fail(errc::internal, first, "unexpected state");
}

fsm_action client::on_capa(const response& r) {
  const std::string& first = r.lines.front();
  if (is_ok(first)) {
    capa_known_ = true;
    capa_.clear();
    for (std::size_t i = 1; i + 1 < r.lines.size(); ++i) {
      std::string_view l = r.lines[i];
      if (l.starts_with("..")) l.remove_prefix(1);  // dot-stuffing
      capa_.emplace_back(l);
    }
    std::string all;
    for (const auto& c : capa_) all += (all.empty() ? "" : " | ") + c;
    facts_.capabilities = all;
  } else if (!is_err(first)) {
    return fail(errc::weird_server_reply, first, "CAPA answered with neither +OK nor -ERR");
  }
  if (p_.starttls && !tls_done_) {
    bool stls = false;
    for (const auto& c : capa_) stls = stls || ascii_upper(c) == "STLS";
    if (capa_known_ && !stls)
      return fail(errc::starttls_unavailable, first, "the server does not advertise STLS");
    st_ = st::stls;
    return command(phase::starttls, "STLS");
  }
  return begin_auth();
}

fsm_action client::on_tls_ready() {
  tls_done_ = true;
  st_ = st::capa;
  return command(phase::capability2, "CAPA");
}

fsm_action client::begin_auth() {
  sasl::mech_set mechs = 0;
  for (const auto& c : capa_) {
    std::string u = ascii_upper(c);
    if (u.starts_with("SASL ")) mechs |= sasl::parse_mech_list(std::string_view(c).substr(5));
  }
  st_ = st::auth;
  multiline_ = false;
  first_line_ = true;
  return begin_sasl(p_, "AUTH", sasl::pop3_params, mechs, capa_known_, false);
}

fsm_action client::on_auth(const response& r) {
  const std::string& first = r.lines.front();
  if (r.continuation) {
    std::string_view text = first;
    text.remove_prefix(1);  // "+" then an optional space
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    first_line_ = true;
    return continue_sasl(text, first);
  }
  if (is_err(first)) {
    defer_failure(errc::login_denied, first, denial_message());
    return quit();
  }
  if (!is_ok(first)) return fail(errc::weird_server_reply, first, "AUTH answered with neither +OK nor -ERR");
  if (!p_.probe) return quit();
  st_ = st::probe;
  return command(phase::probe, "STAT");
}

fsm_action client::quit() {
  st_ = st::quit;
  return command(phase::logout, "QUIT");
}

fsm_action client::on_io_error(std::error_code ec, const response& partial) {
  if ((st_ == st::quit && ec == errc::connection_lost) || has_deferred_failure())
    return finish();
  return client_fsm::on_io_error(ec, partial);
}

}  // namespace mh::pop3
