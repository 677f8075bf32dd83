#include "validate.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "core/text.hpp"
#include "findings.hpp"
#include "metrics/histogram.hpp"
#include "net/tls.hpp"
#include "oauth/token_inspect.hpp"
#include "report/render.hpp"
#include "session/login.hpp"
#include "session/token_await.hpp"

namespace mh::cli {
namespace {

using json = nlohmann::json;

json preflight(const std::string& name, bool ok, const std::string& detail, const char* severity = nullptr) {
  return {{"name", name}, {"ok", ok}, {"detail", detail},
          {"severity", severity ? severity : ok ? "info" : "error"}};
}

// RFC 7231 IMF-fixdate ("Sun, 29 Nov 2026 01:02:03 GMT") as unix seconds.
std::optional<std::int64_t> parse_http_date(const std::string& s) {
  std::tm tm{};
  const char* end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&tm));
}

// Days until a PEM certificate's notAfter (negative once expired); nullopt if unreadable.
std::optional<int> days_left(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return std::nullopt;
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!x) return std::nullopt;
  int days = 0, secs = 0;
  bool ok = ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(x)) == 1;
  X509_free(x);
  if (!ok) return std::nullopt;
  return days;
}

struct check_target {
  const mailbox_entry* mailbox;
  std::string protocol;
};

struct shared_state {
  const validate_options* o;
  const profile* prof;
  oauth::token_manager* tokens;
  std::shared_ptr<ssl::context> tls;
  std::deque<const mailbox_entry*> queue;
  std::map<std::string, json> records;  // by id
  std::map<std::string, failure_evidence> evidence;  // by record id, for the second look
  std::map<std::string, std::string> values;
  std::optional<json> claims;
  bool app_only = true;
  std::optional<oauth::acquire_result> token_failure;  // no token: no mail connection at all
  std::ostream* progress;
  std::size_t done = 0, total = 0;
};

json login_record(shared_state& st, const mailbox_entry& mb, const std::string& proto, const login_result& r,
                  std::chrono::nanoseconds token_time) {
  json rec = {{"id", "validate/" + proto + "/" + mb.address}, {"scenario", "validate"},
              {"file", "cutover"}, {"title", "cutover check: " + proto + " for " + mb.address},
              {"tags", json::array({"validate", proto})}, {"protocol", proto}, {"mailbox", mb.address},
              {"mechanism", r.facts.mechanism.empty() ? json(nullptr) : json(r.facts.mechanism)}};
  rec["outcome"] = r.pass ? "pass" : classify(r.outcome.error) == error_class::connect ? "error" : "fail";
  std::string reply = r.outcome.reply;
  rec["checks"] = json::array({{{"name", "login"}, {"ok", r.pass}, {"expected", "pass"},
                                {"actual", r.pass ? "pass" : std::string(code_name(r.outcome.error))},
                                {"message", r.pass ? "" : r.outcome.message}}});
  json phases = json::object();
  auto add = [&](const std::string& name, std::chrono::nanoseconds d) {
    histogram h;
    h.record(d);
    phases[name] = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
  };
  add("token", token_time);
  for (const auto& sp : r.phases) add(std::string(phase_name(sp.ph)), sp.duration);
  add("total", r.total + token_time);
  rec["phases"] = phases;
  rec["logins"] = {{"attempts", 1}, {"ok", r.pass ? 1 : 0}, {"failed", r.pass ? 0 : 1}};
  rec["errors"] = json::array();
  if (!r.pass) {
    rec["errors"].push_back({{"class", std::string(class_name(classify(r.outcome.error)))},
                             {"code", std::string(code_name(r.outcome.error))},
                             {"phase", std::string(phase_name(r.outcome.failed_phase))},
                             {"reply", reply}, {"message", r.outcome.message}, {"count", 1}});
    std::vector<std::string> tr;
    for (const auto& l : r.transcript) tr.push_back(std::string(1, l.dir) + ": " + l.text);
    rec["transcript"] = tr;
    failure_evidence ev;
    ev.protocol = proto;
    ev.failed_phase = r.outcome.failed_phase;
    ev.error = r.outcome.error;
    ev.reply = reply;
    ev.claims = st.claims;
    ev.app_only = st.app_only;
    ev.values = st.values;
    ev.values["mailbox"] = mb.address;
    ev.values["user"] = mb.address;
    ev.values["mechanism"] = r.facts.mechanism;
    ev.values["sasl_form"] = r.facts.sasl_form;
    rec["findings"] = findings_for(ev);
    st.evidence[rec["id"].get<std::string>()] = ev;
  }
  return rec;
}

net::awaitable<void> validate_worker(shared_state& st) {
  auto ex = co_await net::this_coro::executor;
  net::steady_timer pace(ex);
  bool first = true;
  while (!st.queue.empty()) {
    const mailbox_entry* mb = st.queue.front();
    st.queue.pop_front();
    const auto& wanted = mb->protocols.empty() ? st.o->protocols : mb->protocols;
    for (const auto& proto : st.o->protocols) {
      if (std::find(wanted.begin(), wanted.end(), proto) == wanted.end()) continue;
      if (!first && st.o->pace_ms > 0 && !st.token_failure) {
        pace.expires_after(std::chrono::milliseconds(st.o->pace_ms));
        co_await pace.async_wait(net::use_awaitable);
      }
      first = false;
      auto t0 = std::chrono::steady_clock::now();
      oauth::acquire_result tok;
      if (st.token_failure) tok = *st.token_failure;
      else tok = co_await await_token(*st.tokens);
      auto token_time = std::chrono::steady_clock::now() - t0;
      protocol p = proto == "imap" ? protocol::imap : proto == "pop3" ? protocol::pop3 : protocol::smtp;
      login_options lo;
      lo.proto = p;
      auto ep = st.prof->endpoints.at(p);
      lo.host = ep.host;
      lo.port = ep.port;
      lo.tls = ep.tls;
      lo.ca_file = st.o->ca_file.empty() ? st.prof->ca_file : st.o->ca_file;
      lo.insecure = st.o->insecure;
      lo.timeout = std::chrono::milliseconds(static_cast<long long>(st.o->timeout_s * 1000));
      lo.client.creds.user = mb->address;
      lo.client.probe = true;
      if (st.o->send_test_message && p == protocol::smtp) lo.client.send_test_to = mb->address;
      login_result r;
      if (!tok.ok()) {
        r.outcome.error = tok.ec;
        r.outcome.failed_phase = phase::token;
        r.outcome.message = tok.message;
      } else {
        lo.client.creds.token = tok.token->token;
        r = co_await login(lo, st.tls);
      }
      json rec = login_record(st, *mb, proto, r, token_time);
      ++st.done;
      *st.progress << "[" << st.done << "/" << st.total << "] " << proto << " " << mb->address << ": "
                   << rec["outcome"].get<std::string>() << "\n";
      std::string id = rec["id"].get<std::string>();  // before the move: `a = b` evaluates b first
      st.records[id] = std::move(rec);
    }
  }
}

}  // namespace

json run_validate(const validate_options& o, std::ostream& progress) {
  json report = {{"format", "mailharness.report/1"},
                 {"tool", {{"name", "mailharness"}, {"version", "0.1.0"}}},
                 {"started_at", utc_now_rfc3339()},
                 {"command", "validate"}};
  auto t0 = std::chrono::steady_clock::now();
  profile prof = resolve_profile(o.tokens.profile.empty() ? "worldwide" : o.tokens.profile);
  token_options to = o.tokens;
  if (to.ca_file.empty()) to.ca_file = !o.ca_file.empty() ? o.ca_file : prof.ca_file;
  credential cred = resolve_credential(to, "client-credentials");
  bool app_only = cred.flow == "client-credentials";
  report["target"] = {{"kind", "profile"},
                      {"description", "tenant " + cred.endpoint.tenant + " via " + cred.endpoint.authority +
                                          " (" + prof.source + ")"},
                      {"tls_verify", !o.insecure}};
  json checks = json::array();
  for (const auto& n : prof.notes) checks.push_back(preflight("profile", true, n, "warning"));

  // 1. The authority answers; its clock agrees with ours.
  oauth::http_client http(cred.http);
  std::string discovery = cred.endpoint.authority + "/" + cred.endpoint.tenant + "/v2.0/.well-known/openid-configuration";
  auto d = http.get(discovery);
  bool authority_ok = !d.ec && d.response.status == 200 && d.response.body.find("token_endpoint") != std::string::npos;
  checks.push_back(preflight("authority", authority_ok,
                             authority_ok ? "discovery document at " + oauth::url_for_display(discovery)
                             : d.ec        ? d.error
                                           : "HTTP " + std::to_string(d.response.status) + " from " +
                                                 oauth::url_for_display(discovery)));
  if (auto server = parse_http_date(d.response.date)) {
    long long skew = *server - unix_now();
    bool ok = std::llabs(skew) <= 300;
    checks.push_back(preflight("clock_skew", ok,
                               "the authority's clock is " + std::to_string(skew) + " s from ours" +
                                   (ok ? "" : ": token lifetimes and nbf checks will misbehave; fix NTP"),
                               ok && std::llabs(skew) > 60 ? "warning" : nullptr));
  }
  // 2. A certificate credential is not about to expire.
  if (cred.auth.type == oauth::client_auth::kind::certificate) {
    auto days = days_left(cred.auth.cert.cert_pem);
    bool ok = days && *days >= 0;
    checks.push_back(preflight("certificate", ok,
                               !days        ? "the client certificate could not be read"
                               : *days < 0  ? "the client certificate expired " + std::to_string(-*days) + " days ago"
                                            : "the client certificate expires in " + std::to_string(*days) + " days",
                               ok && *days < 30 ? "warning" : nullptr));
  }
  // 3. A token, checked for mail use.
  auto creds = make_credential(cred, progress);
  auto tok = creds->manager->acquire();
  std::map<std::string, std::string> values = {{"tenant", cred.endpoint.tenant},
                                               {"client_id", cred.endpoint.client_id},
                                               {"authority", cred.endpoint.authority},
                                               {"now", std::to_string(unix_now())}};
  // The expected tenant, when the profile names it by ID (a domain cannot be compared to `tid`).
  static const std::regex guid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (std::regex_match(cred.endpoint.tenant, guid)) values["tenant_id"] = cred.endpoint.tenant;
  std::optional<json> claims;
  json token_findings = json::array();
  if (tok.ok()) {
    auto insp = oauth::inspect_token(tok.token->token.reveal(), unix_now(), cred.endpoint.tenant, 0);
    if (insp.is_jwt) {
      claims = insp.claims;
      for (const auto& c : insp.checks) checks.push_back(preflight("token " + c.name, c.ok, c.detail));
    } else {
      checks.push_back(preflight("token", true, "opaque token: claims cannot be checked (" + insp.opaque_reason + ")",
                                 "warning"));
    }
    checks.push_back(preflight("token", true, "acquired (" + tok.token->fingerprint + ", " + cred.flow + ")"));
  } else {
    checks.push_back(preflight("token", false, tok.message));
    failure_evidence ev;
    ev.failed_phase = phase::token;
    ev.error = tok.ec;
    ev.token_error = tok.aad;
    ev.app_only = app_only;
    ev.values = values;
    token_findings = findings_for(ev);
  }

  // 4. Every mailbox x protocol, gently.
  shared_state st;
  st.o = &o;
  st.prof = &prof;
  st.tokens = creds->manager.get();
  st.tls = make_client_context({o.ca_file.empty() ? prof.ca_file : o.ca_file, o.insecure});
  st.values = values;
  st.claims = claims;
  st.app_only = app_only;
  st.progress = &progress;
  if (!tok.ok()) st.token_failure = tok;
  for (const auto& m : o.mailboxes) {
    st.queue.push_back(&m);
    const auto& wanted = m.protocols.empty() ? o.protocols : m.protocols;
    for (const auto& p : o.protocols)
      if (std::find(wanted.begin(), wanted.end(), p) != wanted.end()) ++st.total;
  }
  {
    net::io_context io;
    int workers = std::clamp(o.concurrency, 1, 8);
    std::exception_ptr failure;
    for (int i = 0; i < workers; ++i)
      net::co_spawn(io, validate_worker(st), [&failure](std::exception_ptr e) {
        if (e && !failure) failure = e;
      });
    io.run();
    if (failure) std::rethrow_exception(failure);  // a bug, not an outcome: say so loudly
  }
  // A second look: when the same app's token logged in elsewhere in this run, the token,
  // consent and service principal are fine, which reorders the candidates of the failures.
  bool some_pass = std::any_of(st.records.begin(), st.records.end(),
                               [](const auto& kv) { return kv.second.value("outcome", "") == "pass"; });
  if (some_pass)
    for (auto& [id, ev] : st.evidence) {
      ev.values["app_authenticated_elsewhere"] = "true";
      st.records[id]["findings"] = findings_for(ev);
    }
  json records = json::array();
  for (const auto& m : o.mailboxes)
    for (const auto& p : o.protocols) {
      auto it = st.records.find("validate/" + p + "/" + m.address);
      if (it == st.records.end()) continue;
      if (!tok.ok()) it->second["findings"] = token_findings;
      records.push_back(it->second);
    }

  // 5. The cutover section.
  bool preflight_ok = std::all_of(checks.begin(), checks.end(), [](const json& c) { return c.value("ok", false); });
  json mailboxes = json::array();
  std::map<std::string, json> steps;  // finding id -> step entry
  for (const auto& m : o.mailboxes) {
    json protos = json::object();
    for (const auto& p : o.protocols) {
      const auto& wanted = m.protocols.empty() ? o.protocols : m.protocols;
      if (std::find(wanted.begin(), wanted.end(), p) == wanted.end()) {
        protos[p] = "not requested";
        continue;
      }
      auto it = st.records.find("validate/" + p + "/" + m.address);
      std::string outcome = it == st.records.end() ? "error" : it->second.value("outcome", "error");
      protos[p] = outcome == "pass" ? "ready" : "not ready";
      if (it == st.records.end() || outcome == "pass") continue;
      const json& fs = it->second.value("findings", json::array());
      if (fs.empty()) continue;
      const json& f = fs[0];
      json& s = steps[f.value("id", "")];
      if (s.is_null())
        s = {{"finding", f.value("id", "")}, {"title", f.value("title", "")}, {"step", f.value("step", "")},
             {"confidence", f.value("confidence", "")}, {"remediation", f.value("remediation", "")},
             {"candidates", fs.size()}, {"mailboxes", json::array()}, {"protocols", json::array()}};
      if (std::find(s["mailboxes"].begin(), s["mailboxes"].end(), m.address) == s["mailboxes"].end()) {
        s["mailboxes"].push_back(m.address);
        // One copy-paste block per step: every mailbox's filled command, each line once.
        std::istringstream lines(f.value("remediation", ""));
        std::string block = s["remediation"].get<std::string>();
        for (std::string line; std::getline(lines, line);)
          if (("\n" + block + "\n").find("\n" + line + "\n") == std::string::npos) block += "\n" + line;
        s["remediation"] = block;
      }
      if (std::find(s["protocols"].begin(), s["protocols"].end(), p) == s["protocols"].end())
        s["protocols"].push_back(p);
    }
    mailboxes.push_back({{"mailbox", m.address}, {"shared", m.shared}, {"protocols", protos}});
  }
  json step_list = json::array();
  for (auto& [id, s] : steps) step_list.push_back(s);
  std::sort(step_list.begin(), step_list.end(), [](const json& a, const json& b) {
    return a["mailboxes"].size() > b["mailboxes"].size();
  });
  bool all_ready = preflight_ok && std::all_of(records.begin(), records.end(), [](const json& r) {
                     return r.value("outcome", "") == "pass";
                   });
  report["cutover"] = {{"ready", all_ready}, {"preflight", checks}, {"mailboxes", mailboxes}, {"steps", step_list}};
  report["finished_at"] = utc_now_rfc3339();
  report["interrupted"] = false;
  report["summary"] = summarize_records(records, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  report["records"] = std::move(records);
  return report;
}

std::string render_cutover(const json& report) {
  std::ostringstream out;
  const json& c = report.at("cutover");
  out << "cutover: " << (c.value("ready", false) ? "READY" : "NOT READY") << "\n\npreflight\n";
  for (const auto& p : c.value("preflight", json::array()))
    out << "  " << (p.value("ok", false) ? (p.value("severity", "") == "warning" ? "warn " : "ok   ") : "FAIL ")
        << p.value("name", "") << ": " << p.value("detail", "") << "\n";
  out << "\nmailbox";
  std::vector<std::string> protos;
  const json mbs = c.value("mailboxes", json::array());
  if (!mbs.empty())
    for (const auto& [p, v] : mbs[0]["protocols"].items()) protos.push_back(p);
  for (const auto& p : protos) out << "\t" << p;
  out << "\n";
  for (const auto& m : mbs) {
    out << m.value("mailbox", "");
    for (const auto& p : protos) out << "\t" << m["protocols"].value(p, "");
    out << "\n";
  }
  for (const auto& s : c.value("steps", json::array())) {
    out << "\n== " << s.value("step", "") << " (" << s.value("title", "") << "; confidence "
        << s.value("confidence", "") << ")\n   affects:";
    for (const auto& m : s["mailboxes"]) out << " " << m.get<std::string>();
    out << " [";
    for (std::size_t i = 0; i < s["protocols"].size(); ++i) out << (i ? "," : "") << s["protocols"][i].get<std::string>();
    out << "]\n";
    if (s.value("candidates", 1) > 1)
      out << "   (one of " << s.value("candidates", 1) << " candidate causes; see the report for the others)\n";
    std::istringstream rem(s.value("remediation", ""));
    for (std::string line; std::getline(rem, line);) out << "   " << line << "\n";
  }
  return out.str();
}

}  // namespace mh::cli
