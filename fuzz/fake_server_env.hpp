// Shared by the fuzz targets of the fake's servers (fuzz_identity_http, fuzz_client_assertion,
// fuzz_imap_server, fuzz_pop3_server, fuzz_smtp_server): a fixed clock, the demo tenant with
// its expiries moved onto that clock and a fuzz-only certificate on the "good" app, the
// token-signing key pair (generated once per process in a temporary folder, then deleted),
// and tokens minted with it.
// The certificate's private key below is a throw-away fuzz fixture, published on purpose: it
// is registered only on the fuzz targets' tenant copy and signs the seed client assertions.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "core/base64.hpp"
#include "identity/key_store.hpp"
#include "identity/token_minter.hpp"
#include "jwt/jwt.hpp"
#include "tenant/tenant.hpp"

namespace mh::fuzz {

// 2023-11-14T22:13:20Z: every clock the targets hand to the fakes reads this.
inline constexpr std::int64_t fixed_now = 1'700'000'000;
inline constexpr std::string_view good_client_id = "a1b2c3d4-0001-4000-8000-000000000001";

inline constexpr std::string_view fuzz_client_cert_pem = R"(-----BEGIN CERTIFICATE-----
MIIDRTCCAi2gAwIBAgIUNlTTMsc0aA1M0YUHy9rpDR+71TQwDQYJKoZIhvcNAQEL
BQAwMTEvMC0GA1UEAwwmbWFpbGhhcm5lc3MgZnV6eiBjbGllbnQgKG5vdCBhIHNl
Y3JldCkwIBcNMjYxMTI5MDgwNTU4WhgPMjEyNjExMDUwODA1NThaMDExLzAtBgNV
BAMMJm1haWxoYXJuZXNzIGZ1enogY2xpZW50IChub3QgYSBzZWNyZXQpMIIBIjAN
BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAy/rxhxzba1Me/X6fk1EeNH66gYDJ
9N/RflNwloAiET91DHYNv8svEfSE4Slu9AywW8rhYS6ODMzGHQLaUMK/ZD3FQE2J
IkxhGF6lv5yoOmogMM0v3/5syjPhbtF/hblPTi41J06musZ8j0nHEflx3/euhMKb
PVzKfFwtNwCYsHiBaSpsB+MfT79jbpFWcqb9FUSnCVhwFDxrKdeZWXagJsUv3uXg
Mk3KAJYEAcYepJZ49HqjeFi5kNY+0H5o0oxFoikOBTd3lmHuAO/Z5tFeV5CS9K3Y
2OxU9zJdfI8rzVfhgN+9y+8ZlxaclbTsr9NHO9Hw3WtfHUbT3C4dlxx9+QIDAQAB
o1MwUTAdBgNVHQ4EFgQUoSJhPTxRT3UxYijMQ+WNJl9wGf4wHwYDVR0jBBgwFoAU
oSJhPTxRT3UxYijMQ+WNJl9wGf4wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
AQsFAAOCAQEAaSemp9Rxt0OEG17XF8rfO8yzOnB9djFByLU4FOifXjEL3YJH1oLa
DD0UZg9qMem669nxye6+H/DpXj+Hlq0tikPGTHHlKhXaddCkcZv9q3cMMB9SO1Vn
IySaeQJjLVX2hC4lrvoEcH6Esq5u8XWVNHcxcT3IvBR1+GIGZkSDW+mEBWIFiuAj
zSTvtDYn2K6YQqKdG/xASGRjN3/ucjLWGU2EhAWCdgZDJXSdrA3MI/gGNq71kUIH
vcWRunbEtR4PT/0UCSo/ELYKiNVom/ZgQi1w3JjrNQmL58P3Yde7WzzuIPMHIqvm
T9osguXTw1yBYZFXPFYuj+Ot/K2aNGN+1A==
-----END CERTIFICATE-----
)";
inline constexpr std::string_view fuzz_client_key_pem = R"(-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDL+vGHHNtrUx79
fp+TUR40frqBgMn039F+U3CWgCIRP3UMdg2/yy8R9IThKW70DLBbyuFhLo4MzMYd
AtpQwr9kPcVATYkiTGEYXqW/nKg6aiAwzS/f/mzKM+Fu0X+FuU9OLjUnTqa6xnyP
SccR+XHf966Ewps9XMp8XC03AJiweIFpKmwH4x9Pv2NukVZypv0VRKcJWHAUPGsp
15lZdqAmxS/e5eAyTcoAlgQBxh6klnj0eqN4WLmQ1j7QfmjSjEWiKQ4FN3eWYe4A
79nm0V5XkJL0rdjY7FT3Ml18jyvNV+GA373L7xmXFpyVtOyv00c70fDda18dRtPc
Lh2XHH35AgMBAAECggEADjU6IFYEWxEIvDG3EgLxEok+urFCr++slwrfEV6WsOKd
h6sL6V9w1YR1gnz5NV7SZGxo3zTn0FCtnnzxwbUU8XmjfQeBjS3qh/DkxOhXp+z3
Ncr/AhBF2d47/jTxt9no4hpSGb0u3Bzh9XWXPANm2Qm2oljvSPqHAJtHi3ibShRU
zlz0dQl0HQVWmIvOffUjH+S4/yMlVgaBzVCWwbTU+xZ1o3r8L6nMuG/77XSCuElE
W5ZXOLjnYczoDqMqDFmqxiTycQkxOnsGR58sep46vYDrI1gjdYptSrh+qOfdlYeQ
gxCOO8cwvcyl6RyIjOcYZCAYwKmqHHmHIw1c7gHY4QKBgQD1P+atlqV1OxkGJRH0
9e9AkLarRxOH4/cvF5b761CKFmwh4lq/GzMvKQQQI521o0DE53jtWtb4m7NRJBis
y93H9gnEcjvHlge7j08RGpW7vRsNhgq4OIaen6Kf0K4g2OCJvUsdGnoawIm+quof
WgPzkSWT5GkzayWW8wxHqlzzYQKBgQDU6+7eirTVdAnPNsIX40uoaUezKBiedhXX
pfefUD0qsu2kFsvSmrt/v7tDbaLRHaf3Fs14HWbUTQTu8mFdIyMowZTj4ygWnmot
69Kl8QRa16lzYzkue30g0svNfd0ajRoHnGBoOsRiGA0lYId0WKByutieEUZgizWR
XP6It2SpmQKBgAICcQhxGI/6WP0k5p3EOh6kUOrcXTua0ZawMcuEpRdMkbxBV48D
UQsM4fyj3hHz8X7riqEfQm2tEO4URqN71ChkSrYyXW0IPK37waEZP6rXJNaah5H0
3J2GH1YB5rtcK5LVWz00z1VSyI4oZly1ZxzizpUEpRwHv7oZ6brYmYRhAoGAEC3t
dNOtchrjM+/BR/dppF57qE1/sWrftgdSjbSXMUtva2ygCFzhqo9zN2h5WtKaFNiS
vHHfgnpnyZB5fY5R+aLcIYT9YtqezuaAl0N9RTnmEnKTwch4daoO+op55q6aL8He
QY1Vpu6U8SYopNqnNpCkLT66zlNFusoKPXFSIOECgYEA2trQ0PUQB0YGRnL//O/m
eSIygRz9wVWdbnZoY9jMYFV//dSGZIkKnPzJadSw8Zo6CqwduQz6r+xDj4Xvl4ZY
0wRyk4EaPP9QJsyTYNyhtfWnDcCjUJo3E5H8mmoTURjKKitqQG+2KoPouLitWKjP
ZmlQEqGEwDF7k3TL0L5RjxQ=
-----END PRIVATE KEY-----
)";

// The demo tenant as the fuzz targets see it. Its file gives expiries relative to the wall
// clock ("+365d", "-2d"); here expired ones lie before fixed_now and valid ones after it, so
// the outcome of an input never depends on the day it runs.
inline const fake::tenant& fuzz_tenant() {
  static const fake::tenant t = [] {
    fake::tenant d = fake::demo_tenant();
    auto wall = static_cast<std::int64_t>(std::time(nullptr));
    for (auto& a : d.apps)
      for (auto& s : a.secrets)
        if (s.expires != 0) s.expires = s.expires <= wall ? fixed_now - 2 * 86400 : fixed_now + 365 * 86400;
    for (auto& a : d.apps) {
      if (a.client_id != good_client_id) continue;
      fake::client_certificate c;
      c.pem = std::string(fuzz_client_cert_pem);
      c.x5t = jwt::x5t_sha1(c.pem);
      c.x5t_s256 = jwt::x5t_sha256(c.pem);
      c.expires = fixed_now + 365 * 86400;
      a.certificates.push_back(std::move(c));
    }
    return d;
  }();
  return t;
}

// The identity platform's token-signing pair, made once per process.
inline const fake::key_store& signing_keys() {
  static const fake::key_store k = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mh-fuzz-keys-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    fake::key_store ks = fake::key_store::load_or_create(tmpl);
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    return ks;
  }();
  return k;
}

// An access token for Exchange Online, valid at fixed_now: app-only for the "good" app
// (every mail role) when `upn` is empty, else delegated for that user (every mail scope).
inline std::string mail_token(std::string_view upn = {}) {
  const fake::tenant& t = fuzz_tenant();
  fake::token_minter minter(t, signing_keys(), 1);
  fake::access_request r;
  r.audience = "https://outlook.office365.com";
  const fake::app* a = t.find_app(good_client_id);
  const fake::user* u = upn.empty() ? nullptr : t.find_user(upn);
  if (!a || (!upn.empty() && !u)) std::abort();
  if (u) {
    r.appidacr = "0";
    r.amr = {"pwd"};
    r.scp = "IMAP.AccessAsUser.All POP.AccessAsUser.All SMTP.Send";
  } else {
    r.appidacr = "1";
    r.roles = std::vector<std::string>{"IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"};
  }
  return minter.access_token(*a, u, r, fixed_now).token;
}

// base64 of the XOAUTH2 string "user=<mailbox>^Aauth=Bearer <token>^A^A".
inline std::string xoauth2(std::string_view mailbox, const std::string& token) {
  return base64_encode("user=" + std::string(mailbox) + "\x01" "auth=Bearer " + token + "\x01\x01");
}

// Replaces every `from` in `s` with `to`.
inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

}  // namespace mh::fuzz
