// ASCII text helpers shared by the protocol code: case folding and comparison the way mail
// protocols define them (ASCII only; never locale-dependent).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mh {

std::string ascii_upper(std::string_view s);
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);

// RFC 3986 percent-encoding: everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view s);

// strftime of a unix time in UTC, e.g. "%a, %d %b %Y %H:%M:%S +0000".
std::string format_utc(std::int64_t unix_seconds, const char* format);
// The current UTC time as RFC 3339 with milliseconds: 2026-11-29T01:02:03.456Z.
std::string utc_now_rfc3339();

}  // namespace mh
