#include "session/login.hpp"

#include "core/error.hpp"
#include "imap/imap_fsm.hpp"
#include "net/connect.hpp"
#include "net/tcp_transport.hpp"
#include "net/tls.hpp"
#include "pop3/pop3_fsm.hpp"
#include "smtp/smtp_fsm.hpp"

namespace mh {

std::string_view protocol_name(protocol p) {
  switch (p) {
    case protocol::imap: return "imap";
    case protocol::pop3: return "pop3";
    case protocol::smtp: return "smtp";
  }
  return "imap";
}

std::string_view tls_mode_name(tls_mode t) {
  switch (t) {
    case tls_mode::implicit: return "implicit";
    case tls_mode::starttls: return "starttls";
    case tls_mode::none: return "none";
  }
  return "implicit";
}

std::uint16_t default_port(protocol p) {
  switch (p) {
    case protocol::imap: return 993;
    case protocol::pop3: return 995;
    case protocol::smtp: return 587;
  }
  return 993;
}

tls_mode default_tls(protocol p) {
  return p == protocol::smtp ? tls_mode::starttls : tls_mode::implicit;
}

std::unique_ptr<client_fsm> make_client(const login_options& o) {
  client_params p = o.client;
  p.starttls = o.tls == tls_mode::starttls;
  if (p.creds.host.empty()) p.creds.host = o.host;
  if (!p.creds.port) p.creds.port = o.port ? o.port : default_port(o.proto);
  switch (o.proto) {
    case protocol::imap: return std::make_unique<imap::client>(std::move(p));
    case protocol::pop3: return std::make_unique<pop3::client>(std::move(p));
    case protocol::smtp: return std::make_unique<smtp::client>(std::move(p));
  }
  return nullptr;
}

namespace {

void register_secrets(redactor& red, const login_options& o, std::uint16_t port) {
  const auto& c = o.client.creds;
  if (!c.token.empty()) {
    red.add(c.token.reveal(), "token");
    red.add(sasl::xoauth2_payload(c.user, c.token.reveal()), "XOAUTH2 payload");
    red.add(sasl::oauthbearer_payload(c.user, c.host.empty() ? o.host : c.host,
                                      c.port ? c.port : port, c.token.reveal()),
            "OAUTHBEARER payload");
  }
  if (!c.password.empty()) red.add(c.password.reveal(), "password");
}

}  // namespace

net::awaitable<login_result> login(login_options o, std::shared_ptr<ssl::context> tls_ctx) {
  login_result res;
  std::uint16_t port = o.port ? o.port : default_port(o.proto);
  redactor red;
  register_secrets(red, o, port);
  transcript tr(red);
  phase_timer timer;

  auto finish = [&](login_result& r) {
    r.phases = timer.spans();
    r.transcript = tr.lines();
    r.total = timer.elapsed();
    r.outcome.reply = red.apply(r.outcome.reply);
    r.outcome.message = red.apply(r.outcome.message);
    r.detail = red.apply(r.detail);
  };

  auto conn = co_await tcp_connect(o.host, port, o.timeout);
  timer.add(phase::resolve, {}, conn.resolve_time, !conn.failed_in_resolve);
  if (!conn.failed_in_resolve)
    timer.add(phase::connect, conn.resolve_time, conn.connect_time, !conn.ec);
  if (conn.ec) {
    res.outcome.error = conn.ec;
    res.outcome.failed_phase = conn.failed_in_resolve ? phase::resolve : phase::connect;
    res.outcome.message = conn.detail;
    tr.add(timer.elapsed(), '*', conn.detail);
    finish(res);
    co_return res;
  }
  res.peer = conn.peer;
  tr.add(timer.elapsed(), '*', "connected to " + conn.peer);

  if (!tls_ctx) tls_ctx = make_client_context({o.ca_file, o.insecure});
  tcp_transport tp(std::move(*conn.socket), tls_ctx, tcp_transport::role::client, o.host,
                   !o.insecure);
  tp.set_timeout(o.timeout);

  if (o.tls == tls_mode::implicit) {
    timer.enter(phase::tls);
    auto ec = co_await tp.handshake();
    if (ec) {
      timer.finish(false);
      res.outcome.error = ec;
      res.outcome.failed_phase = phase::tls;
      res.detail = tp.last_detail();
      res.outcome.message = "TLS handshake with " + o.host + " failed: " + tp.last_detail();
      tr.add(timer.elapsed(), '*', res.outcome.message);
      finish(res);
      co_return res;
    }
    auto info = tp.tls();
    tr.add(timer.elapsed(), '*', "TLS established: " + info.version + " " + info.cipher);
  }

  auto fsm = make_client(o);
  line_channel ch(tp, o.limits);
  driver_limits dl;
  dl.response_timeout = o.timeout;
  co_await drive(*fsm, ch, tr, timer, dl);
  co_await tp.shutdown();

  res.outcome = fsm->outcome();
  res.facts = fsm->facts();
  // Everything the server said passes the redactor: a server may echo what it was sent.
  for (auto* text : {&res.facts.sasl_server_error, &res.facts.greeting, &res.facts.capabilities,
                     &res.facts.capabilities_after_auth})
    *text = red.apply(*text);
  res.tls = tp.tls();
  res.tls.insecure = o.insecure;
  if (res.outcome.error) res.detail = tp.last_detail();
  res.pass = !res.outcome.error;
  finish(res);
  co_return res;
}

login_result login_blocking(const login_options& o) {
  net::io_context io;
  login_result out;
  std::exception_ptr failure;
  net::co_spawn(io, login(o), [&](std::exception_ptr e, login_result r) {
    failure = e;
    out = std::move(r);
  });
  io.run();
  if (failure) std::rethrow_exception(failure);
  return out;
}

}  // namespace mh
