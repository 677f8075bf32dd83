// The token endpoint's answers: oauth::parse_token_response() and parse_aad_error()
// (src/oauth/token_response.hpp).
//
// Input: byte 0 picks the HTTP status (200, 400, 401, 403, 429, 500, 502, 503 and, above
// 7, 100 + byte), byte 1 the content type (application/json with or without charset,
// text/html, text/plain, none); the rest is the body.
// Invariants (header contract: "never throws, whatever the bytes"):
//   - no exception escapes either function;
//   - the result is exactly one of: tokens (200 only, non-empty access token, positive
//     expires_in, token_type empty or Bearer, no error), token_request_denied with `aad`
//     (the body is a JSON object with a string "error"), or bad_token_response; every
//     error carries a message;
//   - parse_aad_error() answers exactly when the body is a JSON object with a string
//     "error", and keeps the status; its description is the sent one cut before the
//     "\r\nTrace ID:" trailer, with no trailing CR/LF/space; summary() names the status;
//   - no secret of a success body (access, refresh or id token) appears in the message, and
//     a 200 body is never quoted in an error message.
// fuzz-runs: 10000
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/text.hpp"
#include "oauth/token_response.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool json_error_object(std::string_view body, std::string& description) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_string())
    return false;
  auto d = j.find("error_description");
  if (d != j.end() && d->is_string()) description = d->get<std::string>();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr long statuses[] = {200, 400, 401, 403, 429, 500, 502, 503};
  long status = data[0] < 8 ? statuses[data[0]] : 100 + data[0];
  static constexpr std::string_view types[] = {"application/json; charset=utf-8",
                                               "application/json", "text/html; charset=utf-8",
                                               "text/plain", ""};
  std::string_view ctype = types[data[1] % 5];
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);

  try {
    auto e = mh::oauth::parse_aad_error(status, body);
    std::string full;  // error_description as sent
    bool is_error_object = json_error_object(body, full);
    check(e.has_value() == is_error_object);
    if (e) {
      check(e->http_status == status);
      // The description is what was sent, cut before the trailer.
      check(full.starts_with(e->description));
      check(e->description.find("\r\nTrace ID:") == std::string::npos);
      if (!e->description.empty()) {
        char last = e->description.back();
        check(last != '\r' && last != '\n' && last != ' ');
      }
      check(e->summary().find("(HTTP " + std::to_string(status) + ")") != std::string::npos);
    }

    auto r = mh::oauth::parse_token_response(status, ctype, body);
    if (r.tokens) {
      check(!r.ec && r.ok() && status == 200 && !r.aad);
      const auto& t = *r.tokens;
      check(!t.access_token.empty() && t.expires_in > 0);
      check(t.token_type.empty() || mh::iequals(t.token_type, "Bearer"));
      for (const auto* s : {&t.access_token, &t.refresh_token, &t.id_token})
        if (s->size() >= 4) check(r.message.find(s->reveal()) == std::string::npos);
    } else {
      check(!r.ok() && !r.message.empty());
      if (r.ec == mh::errc::token_request_denied) {
        check(r.aad.has_value() && is_error_object && r.message == r.aad->summary());
      } else {
        check(r.ec == mh::errc::bad_token_response && !r.aad);
        check(!is_error_object);
        // A 200 body may carry a token: its bytes are never quoted.
        if (status == 200) check(r.message.find("body starts") == std::string::npos);
      }
    }
  } catch (...) {
    __builtin_trap();
  }
  return 0;
}
