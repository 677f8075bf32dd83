#include "token_render.hpp"

#include "core/text.hpp"

namespace mh::cli {

void print_summary(std::ostream& out, const token_summary& s) {
  auto left = s.expires_at - s.now;
  out << "mailharness token: " << s.flow << "\n";
  out << "  token      " << s.fingerprint << " (" << (s.jwt ? "JWT" : "opaque") << ", " << s.length
      << " characters)\n";
  out << "  expires    " << format_utc(s.expires_at, "%Y-%m-%d %H:%M:%S UTC") << " (in "
      << (left / 60) << " min " << (left % 60) << " s)\n";
  out << "  scope      " << (s.scope.empty() ? "(not stated by the server)" : s.scope) << "\n";
  out << "  refresh    " << (s.refresh_fingerprint.empty() ? "none issued" : s.refresh_fingerprint) << "\n";
  out << "  source     " << s.source;
  if (s.requests > 0) out << " (" << s.requests << (s.requests == 1 ? " request)" : " requests)");
  out << "\n";
  out << "  cached in  " << (s.cache_path.empty() ? "not cached" : s.cache_path) << "\n";
}

nlohmann::json summary_json(const token_summary& s) {
  nlohmann::json j = {{"format", "mailharness.token/1"},
                      {"flow", s.flow},
                      {"fingerprint", s.fingerprint},
                      {"jwt", s.jwt},
                      {"length", s.length},
                      {"expires_at", format_utc(s.expires_at, "%Y-%m-%dT%H:%M:%SZ")},
                      {"expires_in", s.expires_at - s.now},
                      {"scope", s.scope},
                      {"refresh_token", s.refresh_fingerprint.empty() ? nlohmann::json(nullptr)
                                                                      : nlohmann::json(s.refresh_fingerprint)},
                      {"source", s.source},
                      {"requests", s.requests},
                      {"cache", s.cache_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.cache_path)}};
  return j;
}

void print_inspection(std::ostream& out, const oauth::token_inspection& r) {
  if (!r.is_jwt) {
    out << "decode: " << r.opaque_reason << "\n";
    return;
  }
  out << "header: " << r.header.dump() << "\n";
  out << "claims: " << r.claims.dump(2) << "\n";
  out << "mail-use checks:\n";
  for (const auto& c : r.checks) {
    std::string name = c.name;
    name.resize(12, ' ');
    out << "  " << (c.ok ? "ok    " : "FAIL  ") << name << c.detail << "\n";
  }
  out << "good for: ";
  if (r.protocols.empty()) out << "nothing (no IMAP, POP or SMTP permission)";
  for (std::size_t i = 0; i < r.protocols.size(); ++i) out << (i ? " " : "") << r.protocols[i];
  out << "\n";
}

}  // namespace mh::cli
