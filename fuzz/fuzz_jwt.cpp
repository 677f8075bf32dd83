// What mailharness makes of an access token: jwt::decode() (src/jwt/jwt.hpp) and
// oauth::inspect_token() (src/oauth/token_inspect.hpp) with its JSON and text renderings
// (`mailharness token --decode [--json]`, harness/token_render.hpp).
//
// Input: byte 0 picks the expected tenant (none, the claims' tenant GUID, another GUID, a
// domain name) and byte 1 the refresh margin; the rest is the token.
// Invariants (header contracts):
//   - decode: nullopt always says why; tokens over 64 KiB are refused; a decoded token has
//     exactly three '.'-separated parts, JSON-object header and claims, signing_input is
//     the token up to the second '.', the signature is no longer than its base64url text;
//   - inspect_token: is_jwt exactly when decode() succeeds; an opaque token has a reason
//     and no checks; a JWT gets the audience, permissions and lifetime checks (tenant only
//     when one is expected), `protocols` are distinct IMAP/POP3/SMTP and make the
//     permissions check pass, seconds_left exactly when exp is a number; all_ok() is the
//     conjunction of the checks; to_json() and the printed form never throw and never hold
//     the signature.
// fuzz-runs: 10000
#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "jwt/jwt.hpp"
#include "oauth/token_inspect.hpp"
#include "token_render.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::int64_t fuzz_now = 1764400000;  // fixed clock: 2025-11-29

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const std::string tenants[] = {"", "9188040d-6c67-4c5b-b112-36a304b66dad",
                                        "72F988BF-86F1-41AF-91AB-2D7CD011DB47", "contoso.com"};
  const std::string& tenant = tenants[data[0] & 3];
  const std::int64_t margin = static_cast<std::int64_t>(data[1]) * 60;
  std::string_view token(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::string why;
  auto parts = mh::jwt::decode(token, &why);
  if (!parts) {
    check(!why.empty());
  } else {
    check(token.size() <= 64 * 1024);
    check(std::count(token.begin(), token.end(), '.') == 2);
    check(parts->header.is_object() && parts->claims.is_object());
    auto d2 = token.rfind('.');
    check(parts->signing_input == token.substr(0, d2));
    check(parts->signature.size() <= (token.size() - d2 - 1) * 3 / 4);
  }

  auto r = mh::oauth::inspect_token(token, fuzz_now, tenant, margin);
  check(r.is_jwt == parts.has_value());
  if (!r.is_jwt) {
    check(!r.opaque_reason.empty() && r.checks.empty() && r.protocols.empty() && !r.all_ok());
  } else {
    auto has_check = [&](std::string_view name) {
      return std::count_if(r.checks.begin(), r.checks.end(),
                           [&](const auto& c) { return c.name == name; }) == 1;
    };
    check(has_check("audience") && has_check("permissions") && has_check("lifetime"));
    check(has_check("tenant") == !tenant.empty());
    check(r.checks.size() == (tenant.empty() ? 3u : 4u));
    bool all = true;
    for (const auto& c : r.checks) {
      check(!c.detail.empty());
      all = all && c.ok;
      if (c.name == "permissions") check(c.ok == !r.protocols.empty());
    }
    check(r.all_ok() == all);
    for (std::size_t i = 0; i < r.protocols.size(); ++i) {
      const auto& p = r.protocols[i];
      check(p == "IMAP" || p == "POP3" || p == "SMTP");
      check(std::count(r.protocols.begin(), r.protocols.end(), p) == 1);
    }
    bool exp_number = r.claims.contains("exp") && r.claims["exp"].is_number();
    check(r.seconds_left.has_value() == exp_number);
  }

  std::string shown;
  try {
    shown = r.to_json().dump();
    std::ostringstream out;
    mh::cli::print_inspection(out, r);
    shown += out.str();
  } catch (...) {
    __builtin_trap();  // a token a user pastes must never crash `token --decode`
  }
  // The signature is not shown (in neither base64url nor raw form), unless it is also
  // part of what is shown anyway (a short signature can occur inside the claims).
  if (parts && parts->signature.size() >= 16) {
    std::string sig_b64 = std::string(token.substr(token.rfind('.') + 1));
    if (parts->signing_input.find(sig_b64) == std::string::npos &&
        tenant.find(sig_b64) == std::string::npos &&
        parts->header.dump().find(sig_b64) == std::string::npos &&
        parts->claims.dump().find(sig_b64) == std::string::npos)
      check(shown.find(sig_b64) == std::string::npos);
  }
  return 0;
}
