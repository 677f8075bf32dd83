// application/x-www-form-urlencoded bodies and query strings (WHATWG URL "urlencoded"),
// parsed strictly and within bounds: malformed percent escapes, control characters,
// repeated parameters (RFC 6749 §3.2: "MUST NOT be included more than once") and too many
// parameters are errors, returned as values with a reason. Also HTTP Basic client
// authentication as RFC 6749 §2.3.1 defines it (id and secret form-urlencoded first).
#pragma once

#include "core/text.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mh::fake {

class form_params {
 public:
  // The value of `name`, or nullptr when absent.
  const std::string* get(std::string_view name) const;
  // The value, or "" when absent.
  std::string value(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

inline constexpr std::size_t max_form_params = 128;

// Parses `a=1&b=x+y&c=%2F`. nullopt with *why on malformed input. Empty input: no params.
std::optional<form_params> parse_form(std::string_view body, std::string* why = nullptr);

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);
// Percent-decodes one component ('+' is a space). nullopt on a malformed escape.
std::optional<std::string> url_decode(std::string_view s);
// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
using ::mh::url_encode;  // core/text.hpp

// Splits a request target into path and query ("/a/b?x=1" -> {"/a/b", "x=1"}).
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

struct basic_credentials {
  std::string id;
  std::string secret;
};
// "Basic base64(urlencode(id):urlencode(secret))"; nullopt when absent or malformed.
std::optional<basic_credentials> parse_basic_auth(std::string_view authorization);

}  // namespace mh::fake
