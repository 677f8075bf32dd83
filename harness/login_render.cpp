#include "login_render.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace mh::cli {
namespace {

double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }

std::string fmt_ms(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%9.2f", ms(d));
  return buf;
}

std::string verdict_word(const login_result& r) { return r.pass ? "PASS" : "FAIL"; }

}  // namespace

nlohmann::json login_json(const login_options& o, const login_result& r, bool with_transcript) {
  nlohmann::json j;
  j["schema"] = "mailharness.login/1";
  j["protocol"] = protocol_name(o.proto);
  j["host"] = o.host;
  j["port"] = o.port ? o.port : default_port(o.proto);
  j["tls_mode"] = tls_mode_name(o.tls);
  j["user"] = o.client.creds.user;
  j["peer"] = r.peer;
  j["verdict"] = r.pass ? "pass" : "fail";
  j["insecure"] = o.insecure;
  j["mechanism"] = r.facts.mechanism;
  j["mechanism_advertised"] = r.facts.mechanism_advertised;
  j["sasl_form"] = r.facts.sasl_form;
  j["greeting"] = r.facts.greeting;
  j["capabilities"] = r.facts.capabilities;
  if (!r.facts.capabilities_after_auth.empty())
    j["capabilities_after_auth"] = r.facts.capabilities_after_auth;
  if (!r.facts.sasl_server_error.empty()) j["sasl_server_error"] = r.facts.sasl_server_error;
  nlohmann::json tls = {{"active", r.tls.active}};
  if (r.tls.active) {
    tls["version"] = r.tls.version;
    tls["cipher"] = r.tls.cipher;
    tls["group"] = r.tls.group;
    tls["peer_subject"] = r.tls.peer_subject;
    tls["peer_issuer"] = r.tls.peer_issuer;
    tls["verified"] = r.tls.verified;
  }
  j["tls"] = tls;
  auto& phases = j["phases"] = nlohmann::json::array();
  for (const auto& s : r.phases)
    phases.push_back({{"phase", phase_name(s.ph)},
                      {"start_ms", ms(s.start)},
                      {"ms", ms(s.duration)},
                      {"ok", s.ok}});
  j["total_ms"] = ms(r.total);
  if (r.outcome.error) {
    j["error"] = {{"class", class_name(classify(r.outcome.error))},
                  {"code", code_name(r.outcome.error)},
                  {"phase", phase_name(r.outcome.failed_phase)},
                  {"message", r.outcome.message},
                  {"reply", r.outcome.reply},
                  {"detail", r.detail}};
  } else {
    j["error"] = nullptr;
  }
  if (with_transcript) {
    auto& t = j["transcript"] = nlohmann::json::array();
    for (const auto& l : r.transcript)
      t.push_back({{"ms", ms(l.at)}, {"dir", std::string(1, l.dir)}, {"text", l.text}});
  }
  return j;
}

void print_login_table(std::ostream& out, const login_options& o, const login_result& r) {
  std::uint16_t port = o.port ? o.port : default_port(o.proto);
  out << "mailharness login: " << protocol_name(o.proto) << " " << o.host << ":" << port
      << " (TLS " << tls_mode_name(o.tls) << ")  user " << o.client.creds.user;
  if (!r.facts.mechanism.empty())
    out << "  " << r.facts.mechanism << " " << r.facts.sasl_form
        << (r.facts.mechanism_advertised ? "" : " (not advertised)");
  out << "\n";
  if (r.tls.active)
    out << "TLS: " << r.tls.version << " " << r.tls.cipher
        << (r.tls.group.empty() ? "" : " " + r.tls.group) << ", certificate "
        << (r.tls.insecure ? "NOT VERIFIED (--insecure)" : "verified") << ": "
        << r.tls.peer_subject << "\n";
  out << "\n  phase           ms          result\n";
  for (const auto& s : r.phases) {
    std::string name(phase_name(s.ph));
    name.resize(12, ' ');
    out << "  " << name << fmt_ms(s.duration) << "   " << (s.ok ? "ok" : "FAILED") << "\n";
  }
  out << "  total       " << fmt_ms(r.total) << "\n\n";
  out << "verdict: " << verdict_word(r);
  if (r.outcome.error) {
    out << " — " << class_name(classify(r.outcome.error)) << " in phase "
        << phase_name(r.outcome.failed_phase) << ": " << r.outcome.message;
    if (!r.outcome.reply.empty()) out << "\n  server said: " << r.outcome.reply;
    if (!r.detail.empty() && r.outcome.message.find(r.detail) == std::string::npos)
      out << "\n  detail: " << r.detail;
  }
  out << "\n";
  if (o.insecure)
    out << "warning: certificate verification was disabled (--insecure); this result does not "
           "prove the server's identity\n";
}

void print_transcript(std::ostream& out, const login_result& r) {
  for (const auto& l : r.transcript) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%9.2f ", ms(l.at));
    out << buf << l.dir << ": " << l.text << "\n";
  }
}

}  // namespace mh::cli
