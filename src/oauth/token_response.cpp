#include "oauth/token_response.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/text.hpp"

namespace mh::oauth {
namespace {

using json = nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A JSON number or a decimal string (v1 endpoints send "3600"); nullopt otherwise (also for
// a number outside the int64 range).
std::optional<std::int64_t> int_or_string(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    double d = it->get<double>();  // out of int64 range (1e300): not a usable number
    if (!(d > -9.0e18 && d < 9.0e18)) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (it->is_string()) {
    const std::string& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    return std::stoll(s);
  }
  return std::nullopt;
}

std::string strip_trailer(std::string d) {
  // "AADSTS…: text\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …"
  for (const char* marker : {"\r\nTrace ID:", "\nTrace ID:", " Trace ID:"}) {
    auto p = d.find(marker);
    if (p != std::string::npos) {
      d.erase(p);
      break;
    }
  }
  while (!d.empty() && (d.back() == '\r' || d.back() == '\n' || d.back() == ' ')) d.pop_back();
  return d;
}

std::string describe_body(std::string_view body) {
  std::string s;
  for (char c : body.substr(0, 60)) s += (c >= 0x20 && c < 0x7f) ? c : '.';
  return "\"" + s + (body.size() > 60 ? "…" : "") + "\"";
}

token_result bad(long status, std::string_view ctype, std::string_view body, const std::string& why) {
  token_result r;
  r.ec = errc::bad_token_response;
  // The start of an unusable body helps (an HTML error page, a proxy message); a success body
  // could carry a token, so for 200 only the reason and size are given.
  r.message = "token endpoint answered HTTP " + std::to_string(status) + " (" +
              (ctype.empty() ? std::string("no content type") : std::string(ctype)) + ", " +
              std::to_string(body.size()) + " bytes): " + why;
  if (status != 200 && !body.empty()) r.message += "; body starts " + describe_body(body);
  return r;
}

}  // namespace

std::string aad_error::summary() const {
  std::string s = code ? "AADSTS" + std::to_string(code) + " " : std::string();
  s += error.empty() ? std::string("error") : error;
  s += " (HTTP " + std::to_string(http_status) + ")";
  std::string text = description;
  // The description repeats "AADSTSnnn: "; keep only the text after it.
  if (text.starts_with("AADSTS")) {
    auto colon = text.find(": ");
    if (colon < 20) text = text.substr(colon + 2);  // npos is never < 20
  }
  if (!text.empty()) s += ": " + text;
  if (!suberror.empty()) s += " [suberror " + suberror + "]";
  return s;
}

std::optional<aad_error> parse_aad_error(long http_status, std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  auto it = j.find("error");
  if (it == j.end() || !it->is_string()) return std::nullopt;
  aad_error e;
  e.http_status = http_status;
  e.error = it->get<std::string>();
  std::string desc = str(j, "error_description");
  e.description = strip_trailer(desc);
  e.trace_id = str(j, "trace_id");
  e.correlation_id = str(j, "correlation_id");
  e.timestamp = str(j, "timestamp");
  e.suberror = str(j, "suberror");
  e.error_uri = str(j, "error_uri");
  auto codes = j.find("error_codes");
  if (codes != j.end() && codes->is_array() && !codes->empty() && (*codes)[0].is_number_integer())
    e.code = (*codes)[0].get<long long>();
  if (!e.code && desc.starts_with("AADSTS")) {
    std::size_t i = 6, n = 0;
    while (i < desc.size() && desc[i] >= '0' && desc[i] <= '9' && n < 10) ++i, ++n;
    if (n > 0) e.code = std::stoll(desc.substr(6, n));
  }
  return e;
}

token_result parse_token_response(long status, std::string_view content_type, std::string_view body) {
  bool is_json_type = istarts_with(content_type, "application/json");
  if (status != 200) {
    if (auto e = parse_aad_error(status, body)) {
      token_result r;
      r.ec = errc::token_request_denied;
      r.message = e->summary();
      r.aad = std::move(e);
      return r;
    }
    return bad(status, content_type, body, body.empty() ? "empty body" : "not an OAuth error response");
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return bad(status, content_type, body, body.empty() ? "empty body" : "body is not valid JSON (truncated?)");
  if (!j.is_object()) return bad(status, content_type, body, "JSON body is not an object");
  if (j.contains("error")) {
    // A 200 carrying an error (some proxies do this) is still an error.
    if (auto e = parse_aad_error(status, body)) {
      token_result r;
      r.ec = errc::token_request_denied;
      r.message = e->summary();
      r.aad = std::move(e);
      return r;
    }
  }
  token_set t;
  std::string access = str(j, "access_token");
  if (access.empty()) return bad(status, content_type, body, "no access_token in the response");
  t.access_token = secret_string(std::move(access));
  t.token_type = str(j, "token_type");
  if (!t.token_type.empty() && !iequals(t.token_type, "Bearer"))
    return bad(status, content_type, body, "token_type is \"" + t.token_type + "\", not Bearer");
  auto exp = int_or_string(j, "expires_in");
  if (!exp) return bad(status, content_type, body, "expires_in missing or not a number");
  if (*exp <= 0) return bad(status, content_type, body, "expires_in is not positive");
  t.expires_in = *exp;
  t.ext_expires_in = int_or_string(j, "ext_expires_in");
  t.refresh_in = int_or_string(j, "refresh_in");
  t.refresh_token = secret_string(str(j, "refresh_token"));
  t.scope = str(j, "scope");
  t.id_token = secret_string(str(j, "id_token"));
  token_result r;
  r.tokens = std::move(t);
  if (!is_json_type)
    r.message = "warning: token endpoint sent content type \"" + std::string(content_type) +
                "\", not application/json";
  return r;
}

}  // namespace mh::oauth
