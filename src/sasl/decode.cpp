#include "sasl/decode.hpp"

#include <vector>

namespace mh::sasl {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (true) {
    std::size_t j = s.find(sep, i);
    if (j == std::string_view::npos) {
      parts.push_back(s.substr(i));
      return parts;
    }
    parts.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((s[i] | 0x20) != (prefix[i] | 0x20)) return false;
  return true;
}

// Parses "key=value^A..." pairs plus the auth=Bearer token; shared by both mechanisms.
bool parse_kv(std::string_view body, oauth_payload& out, bool& saw_final) {
  auto parts = split(body, '\x01');
  // Canonical ends with "^A^A": the split yields two empty trailing parts.
  saw_final = parts.size() >= 2 && parts[parts.size() - 1].empty() &&
              parts[parts.size() - 2].empty();
  bool have_auth = false;
  for (auto p : parts) {
    if (p.empty()) continue;
    auto eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = p.substr(0, eq), value = p.substr(eq + 1);
    if (key == "auth") {
      if (!starts_with_icase(value, "bearer ")) {
        out.deviation = "auth value is not a Bearer token";
        return false;
      }
      if (value.substr(0, 7) != "Bearer ") out.deviation = "\"bearer\" not spelled \"Bearer\"";
      out.token = std::string(value.substr(7));
      have_auth = true;
    } else if (key == "user") {
      out.user = std::string(value);
    } else if (key == "host") {
      out.host = std::string(value);
    } else if (key == "port") {
      out.port = std::string(value);
    }
  }
  return have_auth;
}

std::string gs2_unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (s.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<oauth_payload> decode_xoauth2(std::string_view raw) {
  oauth_payload out;
  bool saw_final = false;
  if (!parse_kv(raw, out, saw_final) || out.user.empty()) return std::nullopt;
  if (!raw.starts_with("user=") && out.deviation.empty())
    out.deviation = "payload does not start with user=";
  if (!saw_final && out.deviation.empty()) out.deviation = "missing the final ^A^A";
  out.canonical = out.deviation.empty();
  return out;
}

std::optional<oauth_payload> decode_oauthbearer(std::string_view raw) {
  // gs2-header: "n,a=user," (or "y,"/"p=" variants) then ^A-separated key/values.
  auto first = raw.find('\x01');
  if (first == std::string_view::npos) return std::nullopt;
  std::string_view gs2 = raw.substr(0, first);
  oauth_payload out;
  auto fields = split(gs2, ',');
  if (fields.size() < 2 || (fields[0] != "n" && fields[0] != "y")) return std::nullopt;
  if (fields[1].starts_with("a=")) out.user = gs2_unescape(fields[1].substr(2));
  bool saw_final = false;
  if (!parse_kv(raw.substr(first), out, saw_final)) return std::nullopt;
  if (!saw_final && out.deviation.empty()) out.deviation = "missing the final ^A^A";
  out.canonical = out.deviation.empty();
  return out;
}

}  // namespace mh::sasl
