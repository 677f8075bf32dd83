// `mailharness bench`: sets up the target and the token source, runs the load engine
// (bench.hpp), shows live progress, and writes the report set with the "bench" section
// (reports/README.md).
#include "cli_bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "bench.hpp"
#include "cli_run.hpp"
#include "core/text.hpp"
#include "embedded_fake.hpp"
#include "exit_codes.hpp"
#include "net/tls.hpp"
#include "profile.hpp"
#include "report/render.hpp"
#include "report_files.hpp"
#include "server_cpu.hpp"
#include "token_config.hpp"
#include "token_source.hpp"

namespace mh::cli {
namespace {

using json = nlohmann::json;

std::atomic<bool> g_stop{false};
extern "C" void on_bench_sigint(int) { g_stop.store(true); }

// Caps for a real tenant (--allow-tenant-load): a load test must never look like an attack
// or trip Exchange's throttling for the whole tenant.
constexpr int tenant_max_concurrency = 4;
constexpr double tenant_max_rate = 2.0;
constexpr double tenant_max_duration_s = 60;

struct bench_args {
  std::string protocol = "imap", mech = "xoauth2";
  std::string host, tls, ca_file, user, token_file, token_env;
  int port = 0;
  bool insecure = false, allow_tenant_load = false, no_probe = false, tls_resumption = false, quiet = false;
  bool no_keepalive = false;
  int concurrency = 16, max_inflight = 10000, threads = 1;
  double rate = 0, ramp = 0, duration = 10, warmup = 2, timeout = 30, max_error_rate = 0;
  std::string key_type = "ecdsa", token = "cached", shard, out = "bench-report", state_dir;
  std::vector<int> server_pids;
  token_options t;
};

struct target {
  std::string kind;         // embedded, ready-file, profile, host
  std::string description;  // imaps://127.0.0.1:993
  std::unique_ptr<embedded_fake> fake;
  std::unique_ptr<credential_tokens> tokens;
  std::vector<std::string> notes;
};

std::string num(double x) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", x);
  return b;
}

// Host, port and TLS of `proto` from a profile, where the command line left them out.
void endpoint_from_profile(const profile& p, protocol proto, bench_args& a) {
  auto it = p.endpoints.find(proto);
  if (it == p.endpoints.end()) throw usage_error("the profile " + p.source + " has no " + std::string(protocol_name(proto)) + " endpoint");
  if (a.host.empty()) a.host = it->second.host;
  if (a.port == 0) a.port = it->second.port;
  if (a.tls.empty()) a.tls = std::string(tls_mode_name(it->second.tls));
  if (a.ca_file.empty()) a.ca_file = p.ca_file;
  if (a.user.empty() && !p.mailboxes.empty()) a.user = p.mailboxes.front();
}

target set_up_target(bench_args& a, protocol proto) {
  target t;
  if (!a.host.empty() && !a.t.profile.empty())
    throw usage_error("--host and --profile exclude each other (a profile names the servers)");
  if (a.host.empty() && a.t.profile.empty()) {  // the embedded fake
    fake::fake_options o;
    o.state_dir = a.state_dir.empty() ? default_state_dir("bench") : a.state_dir;
    std::string ready_file = o.state_dir + "/bench-ready.json";
    o.server_key = a.key_type == "rsa" ? pki::key_type::rsa2048 : pki::key_type::ec_p256;
    o.mail.max_sessions = static_cast<std::size_t>(std::max({2000, a.concurrency * 2, a.max_inflight + 100}));
    t.fake = std::make_unique<embedded_fake>(std::move(o));
    write_file_atomically(ready_file, t.fake->ready().dump(2));  // 0600: it holds the fake's demo secret
    a.t.profile = ready_file;
    t.kind = "embedded";
  } else if (!a.key_type.empty() && a.key_type != "ecdsa") {
    throw usage_error("--key-type applies to the embedded fake only (start `mailharness fake --key-type` for an external one)");
  }
  if (!a.t.profile.empty()) {
    profile p = resolve_profile(a.t.profile);
    if (t.kind.empty()) t.kind = p.is_fake ? "ready-file" : "profile";
    if (t.kind == "profile" && !a.allow_tenant_load)
      throw usage_error("--profile " + a.t.profile + " is a real tenant: benchmarking it needs --allow-tenant-load "
                        "(and runs at most " + std::to_string(tenant_max_concurrency) + " connections, " +
                        num(tenant_max_rate) + " logins/s, " + num(tenant_max_duration_s) + " s)");
    if (a.protocol != "token") endpoint_from_profile(p, proto, a);
  } else {
    t.kind = "host";
  }
  if (a.protocol == "token") {  // the token endpoint alone: client credentials, a request per operation
    if (!a.host.empty()) throw usage_error("--protocol token benchmarks a fake's or a tenant's token endpoint: use --profile, not --host");
    a.token = "per-login";
    a.mech = "client-credentials";
  } else if (a.user.empty()) {
    throw usage_error("--user is needed (the mailbox to log in to)");
  }
  bool static_token = !a.token_file.empty() || !a.token_env.empty();
  if (static_token) {
    if (a.token == "per-login") throw usage_error("--token per-login needs a token flow, not --token-file/--token-env");
  } else {
    if (a.t.flow.empty() && a.t.profile.empty())
      throw usage_error("give the token with --token-file F or --token-env VAR, or a flow with --flow or --profile");
    a.t.no_cache = true;  // every run starts from the token endpoint; never touches the user's cache
    auto cred = resolve_credential(a.t, "client-credentials");
    if (a.token == "per-login" && cred.flow != "client-credentials")
      throw usage_error("--token per-login works with the client-credentials flow (got " + cred.flow + ")");
    cred.http.keep_alive = !a.no_keepalive;
    t.tokens = make_credential(std::move(cred), std::cerr);
  }
  if (t.kind == "profile") {
    if (a.concurrency > tenant_max_concurrency || a.rate > tenant_max_rate || a.duration > tenant_max_duration_s ||
        a.threads > 1)
      t.notes.push_back("capped for a real tenant");
    a.concurrency = std::min(a.concurrency, tenant_max_concurrency);
    a.max_inflight = std::min(a.max_inflight, tenant_max_concurrency);
    a.rate = std::min(a.rate, tenant_max_rate);
    a.duration = std::min(a.duration, tenant_max_duration_s);
    a.threads = 1;
  }
  std::string scheme = std::string(protocol_name(proto)) + (a.tls == "implicit" ? "s" : "");
  t.description = scheme + "://" + a.host + ":" + std::to_string(a.port) + (a.tls == "starttls" ? " (STARTTLS)" : "");
  if (a.protocol == "token") t.description = oauth::url_for_display(t.tokens->cred.endpoint.token_endpoint());
  return t;
}

json phases_json(const std::map<std::string, histogram>& phases) {
  json out = json::object();
  for (const auto& [name, h] : phases)
    out[name] = {{"summary", latency_summary::of(h).to_json()}, {"histogram", h.to_json()}};
  return out;
}

json build_report(const bench_args& a, const target& t, const bench_plan& plan, const bench_result& r,
                  const std::string& started, std::optional<std::pair<int, int>> shard) {
  json counters = {{"attempts", r.attempts},       {"ok", r.ok},
                   {"failed", r.failed},           {"token_requests", r.token_requests},
                   {"client_cpu_ns", std::max<std::int64_t>(0, r.client_cpu_ns)}, {"resumed", r.resumed}};
  if (r.server_cpu_ns) counters["server_cpu_ns"] = std::max<std::int64_t>(0, *r.server_cpu_ns);
  if (plan.model == bench_model::open) counters["late_starts"] = r.late_starts;
  json timeline = json::array();
  for (std::size_t i = 0; i < r.timeline.size(); ++i)
    timeline.push_back({{"t", i}, {"ok", r.timeline[i].ok}, {"failed", r.timeline[i].failed},
                        {"histogram", r.timeline[i].total.to_json()}});
  bool open = plan.model == bench_model::open;
  json config = {{"protocol", a.protocol},
                 {"mechanism", a.mech},
                 {"model", open ? "open" : "closed"},
                 {"concurrency", open ? json(nullptr) : json(plan.concurrency)},
                 {"rate", open ? json(plan.rate) : json(nullptr)},
                 {"ramp_s", plan.ramp_s},
                 {"max_inflight", open ? json(plan.max_inflight) : json(nullptr)},
                 {"duration_s", a.duration},
                 {"warmup_s", a.warmup},
                 {"client_threads", plan.threads},
                 {"tls_resumption", a.tls_resumption},
                 {"key_type", t.kind == "embedded" ? json(a.key_type == "rsa" ? "rsa2048" : "ec_p256") : json(nullptr)},
                 {"token", a.token},
                 {"token_keepalive", !a.no_keepalive},
                 {"probe", !a.no_probe},
                 {"tls", a.tls},
                 {"tls_verify", !a.insecure},
                 {"target", t.kind}};
  if (!t.notes.empty()) config["notes"] = t.notes;
  json bench = {{"config", config}, {"window_s", r.window_s}, {"counters", counters},
                {"phases", phases_json(r.phases)}, {"timeline", timeline}};
  bench["results"] = bench_results(counters, r.window_s);
  double error_rate = r.attempts ? static_cast<double>(r.failed) / static_cast<double>(r.attempts) : 0;
  bool unreachable = r.ok == 0 && !r.errors.empty() &&
                     std::all_of(r.errors.entries().begin(), r.errors.entries().end(),
                                 [](const auto& kv) { return kv.second.cls == "connect"; });
  json checks = json::array(
      {{{"name", "logins"}, {"ok", r.ok > 0}, {"expected", "> 0"}, {"actual", r.ok}},
       {{"name", "error_rate"}, {"ok", error_rate <= a.max_error_rate}, {"expected", "<= " + num(a.max_error_rate)},
        {"actual", error_rate}}});
  bool pass = r.ok > 0 && error_rate <= a.max_error_rate;
  std::string mech_upper = ascii_upper(a.mech);
  json rec = {{"id", "bench/" + a.protocol + "/" + a.mech},
              {"scenario", "bench"},
              {"title", ascii_upper(a.protocol) + " " + mech_upper + " logins, " +
                            (open ? num(plan.rate) + "/s arrivals" : std::to_string(plan.concurrency) + " workers")},
              {"tags", json::array({"bench"})},
              {"protocol", a.protocol == "token" ? json(nullptr) : json(a.protocol)},
              {"mailbox", a.protocol == "token" ? json(nullptr) : json(a.user)},
              {"mechanism", mech_upper},
              {"outcome", unreachable ? "error" : pass ? "pass" : "fail"},
              {"duration_s", r.window_s},
              {"checks", checks},
              {"phases", phases_json(r.phases)},
              {"logins", {{"attempts", r.attempts}, {"ok", r.ok}, {"failed", r.failed}}},
              {"errors", r.errors.to_json()}};
  if (!r.first_failure_transcript.empty()) rec["transcript"] = r.first_failure_transcript;
  json records = json::array({rec});
  json report = {{"format", report_format},
                 {"tool", {{"name", "mailharness"}, {"version", "0.1.0"}}},
                 {"started_at", started},
                 {"finished_at", utc_now_rfc3339()},
                 {"interrupted", r.interrupted},
                 {"target", {{"kind", t.kind == "host" ? "profile" : t.kind}, {"description", t.description},
                             {"tls_verify", !a.insecure}}},
                 {"command", "bench"}};
  if (shard) report["shard"] = {{"index", shard->first}, {"count", shard->second}};
  report["summary"] = summarize_records(records, r.window_s);
  report["records"] = records;
  report["bench"] = bench;
  return report;
}

// This shard's share of n (1-based shard index i of count).
int share_of(int n, std::pair<int, int> shard) {
  return n / shard.second + (shard.first - 1 < n % shard.second ? 1 : 0);
}

void print_progress(const bench_progress& p, bool tty) {
  char line[200];
  std::snprintf(line, sizeof line, "%s %5.1f s  %llu ok  %llu failed  %.0f logins/s  %llu in flight",
                p.warming_up ? "warm-up" : "bench  ", p.elapsed_s, static_cast<unsigned long long>(p.ok),
                static_cast<unsigned long long>(p.failed), p.rate, static_cast<unsigned long long>(p.inflight));
  if (tty) std::cerr << "\r\033[K" << line << std::flush;
  else std::cerr << line << "\n";
}

int run_bench_command(bench_args a) {
  protocol proto = a.protocol == "pop3" ? protocol::pop3 : a.protocol == "smtp" ? protocol::smtp : protocol::imap;
  auto shard = parse_shard(a.shard);
  bench_plan plan;
  plan.model = a.rate > 0 ? bench_model::open : bench_model::closed;
  target t = set_up_target(a, proto);
  plan.concurrency = a.concurrency;
  plan.rate = a.rate;
  if (shard) {
    plan.concurrency = share_of(a.concurrency, *shard);
    plan.rate = a.rate / shard->second;
    if (plan.model == bench_model::closed && plan.concurrency == 0)
      throw usage_error("--shard " + a.shard + ": --concurrency " + std::to_string(a.concurrency) + " leaves this shard no worker");
  }
  plan.ramp_s = a.ramp;
  plan.max_inflight = a.max_inflight;
  plan.warmup = std::chrono::milliseconds(static_cast<long long>(a.warmup * 1000));
  plan.duration = std::chrono::milliseconds(static_cast<long long>(a.duration * 1000));
  plan.threads = a.threads;
  plan.token = a.token == "per-login" ? bench_token::per_login : bench_token::cached;
  plan.token_only = a.protocol == "token";

  login_options& o = plan.base;
  o.proto = proto;
  o.host = a.host;
  o.port = static_cast<std::uint16_t>(a.port ? a.port : default_port(proto));
  o.tls = a.tls.empty() ? default_tls(proto) : a.tls == "starttls" ? tls_mode::starttls : a.tls == "none" ? tls_mode::none : tls_mode::implicit;
  a.tls = std::string(tls_mode_name(o.tls));
  o.ca_file = a.ca_file;
  o.insecure = a.insecure;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(a.timeout * 1000));
  o.client.creds.user = a.user;
  o.client.creds.host = a.host;
  o.client.creds.port = o.port;
  o.client.mech = a.mech == "oauthbearer" ? sasl::choice::oauthbearer : a.mech == "auto" ? sasl::choice::automatic : sasl::choice::xoauth2;
  o.client.probe = !a.no_probe;
  plan.tls = make_client_context({a.ca_file, a.insecure});
  if (a.tls_resumption) enable_client_resumption(*plan.tls);

  if (t.tokens) {
    plan.manager = t.tokens->manager.get();
    if (plan.token == bench_token::per_login) {
      auto* client = t.tokens->client.get();
      auto auth = t.tokens->cred.auth;
      auto scope = t.tokens->cred.scope;
      plan.mint = [client, auth, scope] { return client->client_credentials(auth, scope); };
    }
  } else {
    auto tr = !a.token_file.empty() ? read_token_file(a.token_file) : read_token_env(a.token_env);
    if (!tr.token) throw usage_error(tr.error);
    plan.static_token = *tr.token;
  }
  if (t.fake) {
    embedded_fake* f = t.fake.get();
    plan.server_cpu_ns = [f] { return f->cpu_ns(); };
    plan.embedded_server_cpu_ns = plan.server_cpu_ns;
  } else if (!a.server_pids.empty()) {
    std::vector<int> pids = a.server_pids;
    plan.server_cpu_ns = [pids] { return process_tree_cpu_ns(pids); };
  }
  plan.stop = &g_stop;
  bool tty = ::isatty(STDERR_FILENO);
  if (!a.quiet) {
    int every = tty ? 1 : 10, tick = 0;
    plan.on_progress = [tty, every, tick](const bench_progress& p) mutable {
      if (++tick % every == 0) print_progress(p, tty);
    };
  }
  g_stop.store(false);
  std::signal(SIGINT, on_bench_sigint);  // before the first line: a caller may react to it
  if (!a.quiet)
    std::cerr << "mailharness bench: " << t.description << ", " << a.protocol << " " << a.mech << ", "
              << (plan.model == bench_model::open ? num(plan.rate) + " logins/s offered"
                                                  : std::to_string(plan.concurrency) + " workers")
              << ", " << num(a.warmup) << " s warm-up + " << num(a.duration) << " s\n";
  std::string started = utc_now_rfc3339();
  bench_result r = run_bench(plan);
  std::signal(SIGINT, SIG_DFL);
  if (tty && !a.quiet) std::cerr << "\r\033[K";
  json report = build_report(a, t, plan, r, started, shard);
  console_options co;
  co.color = ::isatty(STDOUT_FILENO);
  std::cout << render_console(report, co) << std::flush;  // the result survives a failed write
  write_report_set(report, a.out);
  std::cout << "reports: " << a.out << "/report.json, junit.xml, report.html, report.md\n";
  const std::string outcome = report["records"][0]["outcome"];
  if (outcome == "error") return exit_unreachable;
  return outcome == "pass" && !r.interrupted ? exit_pass : exit_fail;
}

}  // namespace

void add_bench_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<bench_args>();
  auto* cmd = app.add_subcommand(
      "bench",
      "Benchmark OAuth logins: logins/s, per-phase latency percentiles, errors, token requests and CPU per login, "
      "against the embedded fake (default), a running fake (--profile READY_FILE), any server (--host), or a "
      "tenant (--profile, with --allow-tenant-load; capped).");
  cmd->add_option("--protocol", a->protocol,
                  "imap, pop3 or smtp (default imap), or token: client-credentials token requests alone")
      ->check(CLI::IsMember({"imap", "pop3", "smtp", "token"}));
  cmd->add_option("--mech", a->mech, "xoauth2, oauthbearer or auto (default xoauth2)")
      ->check(CLI::IsMember({"xoauth2", "oauthbearer", "auto"}));
  cmd->add_option("--host", a->host, "benchmark this server instead of the embedded fake");
  cmd->add_option("--port", a->port, "server port (default: the protocol's)")->check(CLI::Range(1, 65535));
  cmd->add_option("--tls", a->tls, "implicit, starttls or none (default: the protocol's)")
      ->check(CLI::IsMember({"implicit", "starttls", "none"}));
  cmd->add_option("--ca-file", a->ca_file, "PEM file of trusted CAs for the mail server")->check(CLI::ExistingFile);
  cmd->add_flag("--insecure", a->insecure, "do not verify the server's certificate (shown in the report)");
  cmd->add_option("--user", a->user, "mailbox to log in to (default: the profile's first mailbox)");
  auto* tf = cmd->add_option("--token-file", a->token_file, "file holding the access token ('-' reads standard input)");
  auto* te = cmd->add_option("--token-env", a->token_env, "environment variable holding the access token");
  tf->excludes(te);
  cmd->add_flag("--allow-tenant-load", a->allow_tenant_load,
                "allow benchmarking a real tenant (capped: 4 connections, 2 logins/s, 60 s)");
  cmd->add_option("--concurrency", a->concurrency, "closed model: workers, each login -> logout -> next (default 16)")
      ->check(CLI::Range(1, 100000));
  auto* rate = cmd->add_option("--rate", a->rate, "open model: arrivals per second (latency counts from the intended start)")
                   ->check(CLI::Range(0.001, 1e6));
  cmd->add_option("--ramp", a->ramp, "open model: seconds over which the rate rises from 0")->check(CLI::Range(0.0, 3600.0))->needs(rate);
  cmd->add_option("--max-inflight", a->max_inflight, "open model: logins running at once (default 10000)")
      ->check(CLI::Range(1, 100000))->needs(rate);
  cmd->add_option("--duration", a->duration, "measured seconds (default 10)")->check(CLI::Range(0.1, 86400.0));
  cmd->add_option("--warmup", a->warmup, "seconds run before measuring (default 2)")->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--threads", a->threads, "client threads (default 1)")->check(CLI::Range(1, 64));
  cmd->add_option("--timeout", a->timeout, "seconds for connect and for each server reply (default 30)")
      ->check(CLI::Range(0.001, 3600.0));
  cmd->add_flag("--tls-resumption", a->tls_resumption, "resume TLS sessions (default: a full handshake per login)");
  cmd->add_option("--key-type", a->key_type, "embedded fake's certificate: ecdsa (P-256, default) or rsa (2048)")
      ->check(CLI::IsMember({"ecdsa", "rsa"}));
  cmd->add_option("--token", a->token, "cached (default) or per-login (a token request before every login)")
      ->check(CLI::IsMember({"cached", "per-login"}));
  cmd->add_flag("--no-keepalive", a->no_keepalive,
                "a new HTTPS connection for every token request (default: keep-alive, as MSAL does)");
  cmd->add_flag("--no-probe", a->no_probe, "skip the post-auth probe");
  cmd->add_option("--server-pid", a->server_pids, "sample this server process's CPU (and its children's) from /proc")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--shard", a->shard, "shard I of N (1-based): this shard runs its share of the workers or the rate");
  cmd->add_option("--out", a->out, "folder for report.json, junit.xml, report.html, report.md (default bench-report)");
  cmd->add_option("--state-dir", a->state_dir, "embedded fake's state dir (default ~/.local/state/mailharness/bench)");
  cmd->add_option("--max-error-rate", a->max_error_rate, "failed fraction of logins still counted as a pass (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--quiet", a->quiet, "no progress lines");
  add_token_options(cmd, a->t, true, false);
  cmd->callback([a, on_exit] { on_exit(run_guarded("bench", [&] { return run_bench_command(*a); })); });
}

}  // namespace mh::cli
