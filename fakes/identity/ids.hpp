// Identifiers and time texts of the fake identity platform: random GUIDs, opaque tokens and
// user codes (OpenSSL RAND_bytes), store keys that never keep a secret in clear (SHA-256),
// and the time formats Entra puts on the wire. The clock is injectable so that tests move
// time instead of sleeping.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace mh::fake {

// Seconds since the epoch. Every expiry decision of the identity platform reads this clock.
using clock_fn = std::function<std::int64_t()>;
clock_fn system_clock();

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower case (RFC 4122 version 4).
std::string random_guid();
// `prefix` + base64url of `bytes` random bytes: refresh tokens, codes, device codes.
std::string random_token(std::string_view prefix, std::size_t bytes);
// Nine characters from A-Z and 0-9, as Entra's device-flow user codes ("FRWQDE7YL").
std::string random_user_code();
bool is_guid(std::string_view s);
// Hex SHA-256: stores index tokens and codes by this, never by their value.
std::string sha256_hex(std::string_view data);

// "2023-05-06 06:03:00Z" (error_description trailer and `timestamp`).
std::string format_timestamp(std::int64_t t);
// "2023-05-06T06:03:00.0000000Z" (AADSTS700082 / 50173 / 700024 texts).
std::string format_iso(std::int64_t t);
// .NET TimeSpan "d.hh:mm:ss" ("90.00:00:00" in AADSTS700082).
std::string format_timespan(std::int64_t seconds);

}  // namespace mh::fake
