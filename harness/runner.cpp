#include "runner.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "core/error.hpp"
#include "core/json_doc.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "fake_exchange.hpp"
#include "metrics/histogram.hpp"
#include "net/tls.hpp"
#include "oauth/providers.hpp"
#include "oauth/token_manager.hpp"
#include "report/render.hpp"
#include "session/login.hpp"
#include "session/token_await.hpp"
#include "embedded_fake.hpp"
#include "run_target.hpp"
#include "error_tally.hpp"
#include "findings.hpp"
#include "token_config.hpp"

namespace mh::cli {
namespace {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

// What one case (scenario x protocol x mailbox x mechanism x form) did.
struct case_result {
  std::map<std::string, histogram> phases;
  std::uint64_t attempts = 0, ok = 0, failed = 0, reconnects = 0;
  error_tally errors;
  std::vector<std::string> first_transcript, failure_transcript;
  std::string token_error;  // AADSTS code or OAuth error of the first refused token request
  nlohmann::json findings = nlohmann::json::array();  // diagnosis of the first failure
};

struct case_ctx {
  login_options base;
  std::string protocol;
  std::map<std::string, std::string> values;  // for the diagnosis's remediation text
  std::shared_ptr<ssl::context> tls;
  case_tokens* tokens = nullptr;
  load_setup load;
  steady::time_point deadline;
  const std::atomic<bool>* stop = nullptr;
  case_result res;
};

net::awaitable<void> worker(case_ctx& c) {
  auto ex = co_await net::this_coro::executor;
  net::steady_timer pause(ex);
  bool timed = c.load.duration_s > 0;
  for (int i = 0;; ++i) {
    bool more = timed ? steady::now() < c.deadline : i < c.load.iterations;
    if (!more || (c.stop && c.stop->load())) break;
    if (i > 0 && c.load.pause_ms > 0) {
      pause.expires_after(std::chrono::milliseconds(c.load.pause_ms));
      co_await pause.async_wait(net::use_awaitable);
    }
    ++c.res.attempts;
    login_options o = c.base;
    auto started = steady::now();
    std::string fp;
    if (c.tokens->manager) {
      auto tr = co_await await_token(*c.tokens->manager);
      auto took = steady::now() - started;
      c.res.phases["token"].record(took);
      if (!tr.ok()) {
        ++c.res.failed;
        std::string reply = tr.aad ? tr.aad->summary() : std::string();
        if (c.res.token_error.empty() && tr.aad)
          c.res.token_error = tr.aad->code ? "AADSTS" + std::to_string(tr.aad->code) : tr.aad->error;
        c.res.errors.add(tr.ec, "token", reply, tr.message);
        if (c.res.findings.empty()) {
          failure_evidence ev;
          ev.protocol = c.protocol;
          ev.failed_phase = phase::token;
          ev.error = tr.ec;
          ev.token_error = tr.aad;
          ev.app_only = c.tokens->account.empty();
          ev.values = c.values;
          c.res.findings = findings_for(ev);
        }
        continue;
      }
      o.client.creds.token = tr.token->token;
      fp = tr.token->fingerprint;
    } else {
      o.client.creds.token = c.tokens->static_token;
    }
    login_result r = co_await login(o, c.tls);
    c.res.phases["total"].record(steady::now() - started);
    for (const auto& sp : r.phases) c.res.phases[std::string(phase_name(sp.ph))].record(sp.duration);
    if (c.res.first_transcript.empty()) c.res.first_transcript = transcript_text(r.transcript);
    if (r.pass) {
      ++c.res.ok;
      continue;
    }
    ++c.res.failed;
    const auto& oc = r.outcome;
    if (c.res.failure_transcript.empty()) {
      c.res.failure_transcript = transcript_text(r.transcript);
      failure_evidence ev;
      ev.protocol = c.protocol;
      ev.failed_phase = oc.failed_phase;
      ev.error = oc.error;
      ev.reply = oc.reply;
      ev.claims = token_claims(std::string(o.client.creds.token.reveal()));
      ev.app_only = c.tokens->account.empty();
      ev.values = c.values;
      ev.values["mechanism"] = r.facts.mechanism;
      ev.values["sasl_form"] = r.facts.sasl_form;
      c.res.findings = findings_for(ev);
    }
    c.res.errors.add(oc.error, phase_name(oc.failed_phase), oc.reply, oc.message);
    // Exchange ends a session whose token expired; the client reconnects with a fresh one.
    if (oc.reply.find("AccessTokenExpired") != std::string::npos && c.tokens->manager) {
      c.tokens->manager->invalidate(fp);
      ++c.res.reconnects;
    }
  }
}

json check(const std::string& name, bool ok, json expected, json actual, std::string message = {}) {
  json c = {{"name", name}, {"ok", ok}, {"expected", std::move(expected)}, {"actual", std::move(actual)}};
  if (!message.empty()) c["message"] = message;
  return c;
}

double metric_value(const case_result& r, const std::string& metric, bool& known) {
  known = true;
  if (metric == "error_rate") return r.attempts ? static_cast<double>(r.failed) / static_cast<double>(r.attempts) : 0;
  auto dot = metric.find('.');
  auto it = r.phases.find(metric.substr(0, dot));
  if (it == r.phases.end() || it->second.count() == 0) {
    known = false;
    return 0;
  }
  auto s = latency_summary::of(it->second);
  std::string q = metric.substr(dot + 1);
  return q == "p50" ? s.p50 : q == "p90" ? s.p90 : q == "p95" ? s.p95 : q == "p99" ? s.p99
       : q == "p999" ? s.p999 : q == "max" ? s.max : s.mean;
}

json evaluate(const scenario& s, const case_result& r, const json& verdicts, const oauth::manager_stats* ts,
              const std::map<std::string, std::string>& vars) {
  const expectation& e = s.expect;
  json checks = json::array();
  const error_entry* err = r.errors.most_frequent();
  bool has_rate = std::any_of(e.thresholds.begin(), e.thresholds.end(),
                              [](const threshold& t) { return t.metric == "error_rate"; });
  if (r.attempts == 0) {
    checks.push_back(check("ran", false, "at least one login", 0, "no login was attempted"));
  } else if (e.outcome == "pass" && !has_rate) {
    checks.push_back(check("outcome", r.failed == 0, "pass", r.failed == 0 ? "pass" : "fail",
                           r.failed ? std::to_string(r.failed) + " of " + std::to_string(r.attempts) +
                                          " logins failed" + (err ? ": " + err->message : "")
                                    : ""));
  } else if (e.outcome == "fail") {
    checks.push_back(check("outcome", r.ok == 0, "fail", r.ok == 0 ? "fail" : "pass",
                           r.ok ? std::to_string(r.ok) + " of " + std::to_string(r.attempts) +
                                      " logins passed but the scenario expects failure"
                                : ""));
  }
  auto field = [&](const char* name, const std::string& want, const std::string& got) {
    if (!want.empty()) checks.push_back(check(name, want == got, want, got));
  };
  std::string none = "(no error)";
  field("error_class", e.error_class, err ? err->cls : none);
  field("error", e.error, err ? err->code : none);
  field("phase", e.phase, err ? err->phase : none);
  field("reply", substitute(e.reply, vars), err ? err->reply : none);
  if (!e.reply_contains.empty()) {
    std::string want = substitute(e.reply_contains, vars);
    std::string got = err ? err->reply : none;
    checks.push_back(check("reply_contains", got.find(want) != std::string::npos, want, got));
  }
  field("token_error", e.token_error, r.token_error.empty() ? none : r.token_error);
  if (!e.finding.empty()) {
    std::string got = r.findings.empty() ? "(no finding)" : r.findings[0].value("id", "");
    std::string all;
    for (const auto& f : r.findings) all += (all.empty() ? "" : ", ") + f.value("id", "");
    checks.push_back(check("finding", got == e.finding, e.finding, got,
                           got == e.finding ? "" : "expected finding " + e.finding + ", got " + (all.empty() ? "none" : all)));
  }
  for (const auto& t : e.transcript_contains) {
    std::string want = substitute(t, vars);
    const auto& tr = r.failure_transcript.empty() ? r.first_transcript : r.failure_transcript;
    bool found = std::any_of(tr.begin(), tr.end(), [&](const std::string& l) { return l.find(want) != std::string::npos; });
    checks.push_back(check("transcript_contains", found, want, found ? "present" : "absent"));
  }
  if (!e.verdicts.empty()) {
    std::map<std::string, std::string> got;
    for (const auto& v : verdicts) got[v.value("name", "")] = v.value("result", "");
    for (const auto& [name, want] : e.verdicts) {
      if (name == "all") {
        std::string failing;
        for (const auto& [n, res] : got)
          if (res != want && !(want == "pass" && res == "not_applicable")) failing += (failing.empty() ? "" : ", ") + n;
        checks.push_back(check("verdicts", failing.empty(), "all " + want, failing.empty() ? "all " + want : failing,
                               failing.empty() ? "" : "verdicts not " + want + ": " + failing));
      } else {
        std::string g = got.count(name) ? got[name] : "missing";
        checks.push_back(check("verdict " + name, g == want, want, g));
      }
    }
  }
  if (e.expired_uses) {
    long long got = 0;
    for (const auto& v : verdicts)
      if (v.value("name", "") == "no_expired_token_use") got = v.value("violations", 0LL);
    checks.push_back(check("expired_uses", got <= *e.expired_uses, *e.expired_uses, got));
  }
  if (ts && e.max_token_requests)
    checks.push_back(check("max_token_requests", static_cast<long long>(ts->requests) <= *e.max_token_requests,
                           *e.max_token_requests, ts->requests));
  if (ts && e.min_token_requests)
    checks.push_back(check("min_token_requests", static_cast<long long>(ts->requests) >= *e.min_token_requests,
                           *e.min_token_requests, ts->requests));
  if (e.min_logins)
    checks.push_back(check("min_logins", static_cast<long long>(r.attempts) >= *e.min_logins, *e.min_logins, r.attempts));
  for (const auto& t : e.thresholds) {
    bool known = false;
    double v = metric_value(r, t.metric, known);
    checks.push_back(check(t.metric, known && v <= t.max, "<= " + std::to_string(t.max), known ? json(v) : json("no data"),
                           known ? "" : "no measurements for " + t.metric));
  }
  return checks;
}

std::string record_id(const scenario& s, const std::string& proto, const std::string& user, const std::string& mech,
                      const std::string& form) {
  std::string id = s.id + "/" + proto + "/" + user;
  if (s.login.mechs.size() > 1) id += "/" + mech;
  if (s.login.forms.size() > 1) id += "/" + form;
  return id;
}

protocol to_protocol(const std::string& p) {
  return p == "imap" ? protocol::imap : p == "pop3" ? protocol::pop3 : protocol::smtp;
}

// The verdicts of the fake for this case's client, as report entries.
json verdict_entries(fake::fake_exchange* fx, const case_tokens& t) {
  json out = json::array();
  if (!fx || t.client_id.empty()) return out;
  json doc = fx->verdicts(t.client_id);
  const json clients = doc.value("clients", json::array());
  for (const auto& c : clients) {
    // The entry of this credential: the signed-in user, or the app itself.
    std::string account = c.contains("account") && c["account"].is_string() ? c["account"].get<std::string>() : "";
    if (t.account.empty() ? c.value("account_kind", "") != "app" : account != t.account) continue;
    const json verdicts = c.value("verdicts", json::object());  // items() must not see a temporary
    for (const auto& [name, v] : verdicts.items()) {
      json e = {{"name", name}, {"result", v.value("result", "")}};
      std::string detail = std::to_string(v.value("checked", 0)) + " checked, " +
                           std::to_string(v.value("violations", 0)) + " violations";
      if (v.contains("min_remaining_s") && !v["min_remaining_s"].is_null())
        detail += ", min remaining " + std::to_string(v["min_remaining_s"].get<long long>()) + " s";
      if (v.contains("examples") && !v["examples"].empty())
        detail += "; e.g. " + v["examples"][0].value("text", "");
      e["detail"] = detail;
      e["violations"] = v.value("violations", 0);
      out.push_back(e);
    }
    break;
  }
  return out;
}

json run_scenario(const scenario& s, const run_options& o, target_kind kind, const json& shared_target,
                  std::size_t& done, std::size_t total, std::size_t& failed_count) {
  json records = json::array();
  bool embedded = kind == target_kind::embedded;
  std::string skip = skip_reason(s, kind);
  // Each case gets its own fake (embedded) and token manager, so its figures and verdicts
  // are its own. A ready-file target is shared.
  std::unique_ptr<embedded_fake> fake;
  json ready;
  std::string setup_error;
  auto set_up = [&] {
    setup_error.clear();
    fake.reset();
    try {
      if (embedded) {
        fake = start_scenario_fake(o.state_dir, s);
        ready = fake->ready();
      } else {
        ready = shared_target;
      }
    } catch (const config_error&) {
      throw;
    } catch (const std::exception& e) {
      setup_error = e.what();
    }
  };
  if (skip.empty()) set_up();
  const json& known = ready.is_null() ? shared_target : ready;  // skipped records still get their names
  std::map<std::string, std::string> vars;
  if (!known.is_null()) {
    vars["domain"] = known.value("tenant_domain", "");
    vars["tenant_id"] = known.value("tenant_id", "");
    auto mbs = known.value("demo", json::object()).value("mailboxes", json::array());
    if (!mbs.empty()) vars["mailbox"] = mbs[0].get<std::string>();
    const json endpoints = known.value("endpoints", json::object());  // items() needs an lvalue
    for (const auto& [proto, ep] : endpoints.items()) {
      vars[proto + ".host"] = ep.value("host", "");
      if (ep.contains("port")) vars[proto + ".port"] = std::to_string(ep["port"].get<long long>());
    }
  }
  for (const auto& [k, v] : s.vars) vars[k] = substitute(v, vars);
  for (const auto& [k, v] : o.vars) vars[k] = v;
  bool first_case = true;
  // On a running fake, the scenario's faults go through its control API for the scenario.
  std::unique_ptr<fake_control> control;
  if (kind == target_kind::ready_file && skip.empty() && setup_error.empty() &&
      (!s.fake.mail_faults.empty() || s.fake.token_fault)) {
    try {
      control = std::make_unique<fake_control>(ready);
      control->apply(s.fake);
    } catch (const std::exception& e) {
      setup_error = std::string("could not set the fake's faults: ") + e.what();
    }
  }
  struct clear_faults {
    fake_control* c;
    ~clear_faults() {
      if (!c) return;
      try {
        c->clear();
      } catch (const std::exception&) {  // the next scenario's set-up reports a dead fake
      }
    }
  } clear_at_exit{control.get()};

  for (const auto& proto : s.login.protocols)
    for (const auto& user_pattern : s.login.users)
      for (const auto& mech : s.login.mechs)
        for (const auto& form : s.login.forms) {
          std::string user = substitute(user_pattern, vars);
          json rec = {{"id", record_id(s, proto, user, mech, form)}, {"scenario", s.id}, {"file", s.file},
                      {"title", s.title}, {"tags", s.tags}, {"protocol", proto}, {"mailbox", user},
                      {"mechanism", ascii_upper(mech)}};
          auto started = steady::now();
          if (skip.empty() && !first_case) set_up();
          first_case = false;
          std::unique_ptr<case_tokens> tokens;
          if (!skip.empty()) {
            rec["outcome"] = "skip";
            rec["skip_reason"] = skip;
          } else if (!setup_error.empty() || (o.stop && o.stop->load())) {
            rec["outcome"] = o.stop && o.stop->load() ? "skip" : "error";
            if (rec["outcome"] == "skip") rec["skip_reason"] = "interrupted";
            rec["errors"] = json::array({{{"class", "local"}, {"code", "internal"}, {"phase", "setup"},
                                          {"message", setup_error}, {"count", 1}}});
          } else {
            try {
              tokens = make_tokens(s, ready, fake ? &fake->fx() : nullptr, vars);
              case_ctx c;
              const json& ep = ready.at("endpoints").at(proto);
              c.base.proto = to_protocol(proto);
              c.protocol = proto;
              c.values = {{"tenant", vars["tenant_id"]}, {"tenant_id", vars["tenant_id"]},
                          {"client_id", tokens->client_id}, {"mailbox", user}, {"user", user}};
              if (ready.contains("authority")) {
                std::string auth = ready["authority"].get<std::string>();
                c.values["authority"] = auth.substr(0, auth.find('/', auth.find("//") + 2));
              }
              c.base.host = ep.at("host").get<std::string>();
              c.base.port = s.login.port > 0 ? static_cast<std::uint16_t>(s.login.port) : ep.at("port").get<std::uint16_t>();
              std::string tls = ep.at("tls").get<std::string>();
              c.base.tls = tls == "implicit" ? tls_mode::implicit : tls == "starttls" ? tls_mode::starttls : tls_mode::none;
              c.base.ca_file = ready.value("ca_file", "");
              c.base.timeout = std::chrono::milliseconds(s.login.timeout_ms);
              c.base.limits.max_line = s.login.max_line;
              c.base.client.creds.user = user;
              c.base.client.mech = mech == "xoauth2" ? sasl::choice::xoauth2
                                   : mech == "oauthbearer" ? sasl::choice::oauthbearer
                                                           : sasl::choice::automatic;
              c.base.client.form = form == "initial-response" ? sasl::form::initial_response
                                   : form == "two-step"       ? sasl::form::two_step
                                                              : sasl::form::automatic;
              c.base.client.allow_unadvertised = s.login.allow_unadvertised;
              c.base.client.probe = s.login.probe;
              c.base.client.fetch = s.login.fetch && proto != "smtp";
              if (proto == "smtp") c.base.client.send_test_to = substitute(s.login.send_to, vars);
              c.tls = make_client_context({c.base.ca_file, false});
              c.tokens = tokens.get();
              c.load = s.load;
              if (kind == target_kind::profile) {  // a real tenant: validation, not load
                c.load.concurrency = std::min(c.load.concurrency, 2);
                c.load.iterations = std::min(c.load.iterations, 3);
                c.load.duration_s = 0;
              }
              c.stop = o.stop;
              c.deadline = steady::now() + std::chrono::milliseconds(static_cast<long long>(s.load.duration_s * 1000));
              net::io_context io;
              for (int w = 0; w < s.load.concurrency; ++w) net::co_spawn(io, worker(c), net::detached);
              io.run();
              oauth::manager_stats ms;
              if (tokens->manager) ms = tokens->manager->stats();
              json verdicts = verdict_entries(fake ? &fake->fx() : nullptr, *tokens);
              json checks = evaluate(s, c.res, verdicts, tokens->manager ? &ms : nullptr, vars);
              bool all_ok = std::all_of(checks.begin(), checks.end(), [](const json& x) { return x.value("ok", false); });
              rec["outcome"] = all_ok ? "pass" : "fail";
              rec["checks"] = checks;
              json phases = json::object();
              for (const auto& [name, h] : c.res.phases)
                phases[name] = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
              rec["phases"] = phases;
              rec["logins"] = {{"attempts", c.res.attempts}, {"ok", c.res.ok}, {"failed", c.res.failed}};
              rec["errors"] = c.res.errors.to_json();
              if (tokens->manager) {
                long long expired = 0;
                for (const auto& v : verdicts)
                  if (v.value("name", "") == "no_expired_token_use") expired = v.value("violations", 0LL);
                rec["tokens"] = {{"requests", ms.requests}, {"refreshes", ms.refreshes},
                                 {"cache_hits", ms.from_memory + ms.from_cache},
                                 {"min_remaining_s", ms.handed_out ? json(ms.min_remaining_s) : json(nullptr)},
                                 {"expired_uses", expired}, {"reconnects", c.res.reconnects}};
              }
              rec["verdicts"] = verdicts;
              rec["findings"] = c.res.findings;
              const auto& tr = !c.res.failure_transcript.empty() ? c.res.failure_transcript : c.res.first_transcript;
              if (!all_ok || !c.res.failure_transcript.empty()) rec["transcript"] = tr;
            } catch (const config_error&) {
              throw;
            } catch (const std::exception& e) {
              rec["outcome"] = "error";
              rec["errors"] = json::array({{{"class", "local"}, {"code", "internal"}, {"phase", "setup"},
                                            {"message", e.what()}, {"count", 1}}});
            }
          }
          rec["duration_s"] = std::chrono::duration<double>(steady::now() - started).count();
          if (rec["outcome"] == "fail" || rec["outcome"] == "error") ++failed_count;
          records.push_back(std::move(rec));
          ++done;
          if (o.on_progress) o.on_progress({done, total, failed_count, s.id});
        }
  return records;
}

std::size_t case_count(const scenario& s) {
  return s.login.protocols.size() * s.login.users.size() * s.login.mechs.size() * s.login.forms.size();
}

}  // namespace

json run_suite(const std::vector<scenario>& suite, const run_options& o) {
  json report = {{"format", "mailharness.report/1"},
                 {"tool", {{"name", "mailharness"}, {"version", "0.1.0"}}},
                 {"started_at", utc_now_rfc3339()},
                 {"command", "run"}};
  target_kind kind = target_kind::embedded;
  json shared_target;
  std::string description = "embedded fake Exchange Online (demo tenant)";
  if (o.target != "embedded") {
    profile p = resolve_profile(o.target);  // a fake's ready file, a profile file or a cloud name
    kind = p.is_fake ? target_kind::ready_file : target_kind::profile;
    if (p.is_fake) {
      std::string why;
      auto text = read_file_bounded(o.target, 1 << 20, &why);
      if (!text) throw config_error(o.target, 0, 0, "", why);
      shared_target = json::parse(*text);
      description = "fake Exchange Online at " + o.target;
    } else {
      json endpoints = json::object();
      for (const auto& [proto, ep] : p.endpoints)
        endpoints[std::string(protocol_name(proto))] = {
            {"host", ep.host}, {"port", ep.port}, {"tls", std::string(tls_mode_name(ep.tls))}};
      shared_target = {{"profile", o.target},
                       {"authority", p.authority + "/" + p.tenant},
                       {"ca_file", p.ca_file},
                       {"tenant_domain", p.tenant},
                       {"tenant_id", p.tenant},
                       {"endpoints", endpoints},
                       {"demo", {{"mailboxes", p.mailboxes}}}};
      description = "tenant profile " + p.source + " (" + p.cloud + ")";
    }
  }
  bool embedded = kind == target_kind::embedded;
  report["target"] = {{"kind", embedded ? "embedded" : kind == target_kind::ready_file ? "ready-file" : "profile"},
                      {"description", description},
                      {"tls_verify", true}};
  if (o.shard) report["shard"] = {{"index", o.shard->first}, {"count", o.shard->second}};
  if (embedded) std::filesystem::create_directories(o.state_dir);
  std::vector<const scenario*> mine;
  for (std::size_t i = 0; i < suite.size(); ++i)
    if (!o.shard || o.shard_applied ||
        static_cast<int>(i % static_cast<std::size_t>(o.shard->second)) == o.shard->first - 1)
      mine.push_back(&suite[i]);
  std::size_t total = 0, done = 0, failed = 0;
  for (const auto* s : mine) total += case_count(*s);
  auto t0 = steady::now();
  json records = json::array();
  for (const auto* s : mine) {
    json r = run_scenario(*s, o, kind, shared_target, done, total, failed);
    for (auto& x : r) records.push_back(std::move(x));
  }
  report["finished_at"] = utc_now_rfc3339();
  report["interrupted"] = o.stop && o.stop->load();
  report["summary"] = summarize_records(records, std::chrono::duration<double>(steady::now() - t0).count());
  report["records"] = std::move(records);
  return report;
}

}  // namespace mh::cli
