// RFC 4648 base64 (standard alphabet, with padding) and base64url (no padding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mh {

std::string base64_encode(std::string_view data);
// Strict: padding required, no whitespace, no stray characters. nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view data);
// Accepts input with or without '=' padding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace mh
