// Tenant profiles (harness/profile.hpp, README "Profiles"): parse_profile() takes a
// mailharness.profile/1 file or a running fake's ready file (recognised by its shape) and
// either returns a profile meeting the documented rules or throws config_error naming the file.
// fuzz-runs: 10000
#include <cstdint>
#include <string>

#include "loader_check.hpp"
#include "profile.hpp"

namespace {

// Relative paths resolve against the profile's folder: with an absolute profile path every
// loaded path is absolute.
bool absolute_or_empty(const std::string& p) { return p.empty() || p.front() == '/'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string file = "/fuzz/profiles/fuzz-profile.json";
  mh::cli::profile p;
  if (!mh::fuzz::loads([&] { p = mh::cli::parse_profile(mh::fuzz::text_of(data, size), file); }, file)) return 0;
  if (p.source != file) __builtin_trap();
  for (const auto* path : {&p.ca_file, &p.secret_file, &p.certificate, &p.private_key, &p.password_file,
                           &p.refresh_token_file})
    if (!absolute_or_empty(*path)) __builtin_trap();
  for (const auto& [proto, ep] : p.endpoints)
    if (ep.tls != mh::tls_mode::implicit && ep.tls != mh::tls_mode::starttls && ep.tls != mh::tls_mode::none)
      __builtin_trap();
  if (p.is_fake) {
    // A ready file: the authority is split into host URL and tenant at the first path '/'.
    if (p.cloud != "fake" || p.authority.empty() || p.ca_file.empty()) __builtin_trap();
  } else {
    // A profile never holds a secret, and never names two credential kinds.
    if (!p.fake_secret.empty() || !p.control.empty()) __builtin_trap();
    if (!p.authority.starts_with("https://") && !p.authority.starts_with("http://127.0.0.1") &&
        !p.authority.starts_with("http://localhost"))
      __builtin_trap();
    if (p.authority.ends_with("/")) __builtin_trap();
    if (!p.assertion_alg.empty() && p.assertion_alg != "PS256" && p.assertion_alg != "RS256") __builtin_trap();
    if (!p.secret_env.empty() + !p.secret_file.empty() + !p.certificate.empty() > 1) __builtin_trap();
    for (const auto& [proto, ep] : p.endpoints)
      if (ep.port == 0) __builtin_trap();
    if (p.endpoints.size() != 3) __builtin_trap();  // every cloud has IMAP, POP3 and SMTP
  }
  if (p.app_only_scope() != p.app_resource + "/.default") __builtin_trap();
  if (p.delegated_scope().find("offline_access") == std::string::npos) __builtin_trap();
  return 0;
}
