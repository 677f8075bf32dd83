#include "imap/imap_fsm.hpp"

#include <cstdio>

#include "core/error.hpp"
#include "core/text.hpp"
#include "imap/imap_parse.hpp"

namespace mh::imap {
namespace {

const std::string* find_bye(const response& r) {
  for (const auto& l : r.lines) {
    auto s = parse_status(l);
    if (s && s->tag == "*" && s->st == status::bye) return &l;
  }
  return nullptr;
}

}  // namespace

fsm_action client::start() { return receive(phase::greeting); }

std::string client::next_tag() {
  char buf[16];
  std::snprintf(buf, sizeof buf, "A%03u", ++counter_);
  tag_ = buf;
  return tag_;
}

fsm_action client::command(phase p, std::string_view text, std::string shown) {
  next_tag();
  std::string wire = tag_ + " " + std::string(text) + "\r\n";
  return send(p, std::move(wire), shown.empty() ? std::string() : tag_ + " " + shown);
}

namespace {

// N of the untagged "* N EXISTS" in an EXAMINE/SELECT response; 0 when absent.
std::size_t exists(const std::vector<std::string>& lines) {
  for (const auto& l : lines) {
    std::string_view v = l;
    if (!v.starts_with("* ")) continue;
    v.remove_prefix(2);
    std::size_t n = 0, i = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') n = n * 10 + static_cast<std::size_t>(v[i++] - '0');
    if (i > 0 && ascii_upper(std::string(v.substr(i))) == " EXISTS") return n;
  }
  return 0;
}

}  // namespace

line_kind client::classify(std::string_view line, bool after_literal) {
  using k = line_kind::k;
  if (st_ == st::greeting) return {k::final};
  if (!after_literal && line.starts_with("+")) return {k::continuation};
  if (after_literal || line.starts_with("* ")) {
    if (auto n = trailing_literal(line)) return {k::literal, *n};
    return {k::more};
  }
  return {k::final};  // tagged; a wrong tag is diagnosed in on_response
}

fsm_action client::on_response(const response& r) {
  const std::string& last = r.last();
  if (st_ == st::greeting) {
    facts_.greeting = last;
    auto s = parse_status(last);
    if (!s || s->tag != "*")
      return fail(errc::weird_server_reply, last, "the greeting is not an untagged IMAP status");
    if (s->st == status::bye)
      return fail(errc::greeting_refused, last, "the server refused the connection");
    if (s->st == status::preauth)
      return fail(errc::weird_server_reply, last,
                  "the server sent PREAUTH: the session is authenticated without OAuth");
    if (s->st != status::ok)
      return fail(errc::weird_server_reply, last, "the greeting is neither OK, PREAUTH nor BYE");
    st_ = st::capability;
    return command(phase::capability, "CAPABILITY");
  }

  if (r.continuation) {
    if (st_ == st::authenticate) return on_authenticate(r);
    return fail(errc::unexpected_continuation, last,
                "the server sent a continuation request outside AUTHENTICATE");
  }

  auto s = parse_status(last);
  if (!s || s->tag != tag_)
    return fail(errc::weird_server_reply, last, "expected the tagged reply for " + tag_);
  if (s->st != status::ok && s->st != status::no && s->st != status::bad)
    return fail(errc::weird_server_reply, last, "the tagged reply is not OK, NO or BAD");

  switch (st_) {
    case st::capability: return on_capability(r);
    case st::starttls:
      if (s->st != status::ok)
        return fail(errc::starttls_refused, last, "the server refused STARTTLS");
      return start_tls(phase::tls_upgrade);
    case st::authenticate: return on_authenticate(r);
    case st::capability_after:
      facts_.capabilities_after_auth = join(capabilities(r.lines));
      if (s->st != status::ok)
        return fail_then_logout(errc::command_rejected, last,
                                "CAPABILITY after authentication was refused");
      if (!p_.probe) return logout();
      st_ = st::probe;
      return command(phase::probe, "EXAMINE INBOX");
    case st::probe:
      if (s->st != status::ok)
        return fail_then_logout(errc::probe_denied, last,
                                "authenticated, but the mailbox could not be opened");
      if (p_.fetch && exists(r.lines) > 0) {
        st_ = st::fetch;
        return command(phase::fetch, "FETCH 1 (BODY.PEEK[])");
      }
      return logout();
    case st::fetch:
      if (s->st != status::ok)
        return fail_then_logout(errc::command_rejected, last, "the first message could not be fetched");
      return logout();
    case st::logout: return finish();
    case st::greeting: break;
  }
  return fail(errc::internal, last, "unexpected state");
}

fsm_action client::on_capability(const response& r) {
  const std::string& last = r.last();
  if (parse_status(last)->st != status::ok)
    return fail(errc::command_rejected, last, "the server refused CAPABILITY");
  caps_ = capabilities(r.lines);
  facts_.capabilities = join(caps_);
  if (p_.starttls && !tls_done_) {
    if (!has(caps_, "STARTTLS"))
      return fail(errc::starttls_unavailable, last, "the server does not advertise STARTTLS");
    st_ = st::starttls;
    return command(phase::starttls, "STARTTLS");
  }
  return begin_auth();
}

fsm_action client::on_tls_ready() {
  tls_done_ = true;
  st_ = st::capability;
  return command(phase::capability2, "CAPABILITY");
}

fsm_action client::begin_auth() {
  st_ = st::authenticate;
  return begin_sasl(p_, next_tag() + " AUTHENTICATE", sasl::imap_params,
                    sasl::parse_mech_list(auth_mechanisms(caps_)), true, has(caps_, "SASL-IR"));
}

fsm_action client::on_authenticate(const response& r) {
  const std::string& last = r.last();
  if (r.continuation) {
    std::string_view text = last;
    text.remove_prefix(1);  // "+" then an optional space
    if (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    return continue_sasl(text, last);
  }
  if (parse_status(last)->st != status::ok)
    return fail_then_logout(errc::login_denied, last, denial_message());
  st_ = st::capability_after;
  return command(phase::capability3, "CAPABILITY");
}

fsm_action client::logout() {
  st_ = st::logout;
  return command(phase::logout, "LOGOUT");
}

fsm_action client::fail_then_logout(std::error_code ec, std::string reply, std::string message) {
  defer_failure(ec, std::move(reply), std::move(message));
  return logout();
}

fsm_action client::on_io_error(std::error_code ec, const response& partial) {
  const std::string* bye = find_bye(partial);
  // Servers may close right after "* BYE" without the tagged OK: a normal end. After a
  // deferred failure, that failure is the one that matters.
  if ((st_ == st::logout && (bye || ec == errc::connection_lost)) || has_deferred_failure())
    return finish();
  if (bye && ec == errc::connection_lost)
    return fail(errc::session_closed_by_peer, *bye,
                "the server ended the session in phase " + std::string(phase_name(phase_)));
  return client_fsm::on_io_error(ec, partial);
}

}  // namespace mh::imap
