// The fake identity platform's form and header parsing (fakes/identity/http_form.hpp), called
// directly: parse_form, url_decode, url_encode, valid_utf8, split_target, parse_basic_auth.
// The input is a form body / query string / Authorization header as a client sends it.
// Invariants:
//   - url_decode never grows its input: each "%XY" becomes one byte, everything else one;
//     url_decode(url_encode(x)) == x for any bytes x.
//   - valid_utf8 agrees with a reference decoder written from Unicode's table of well-formed
//     byte sequences (Table 3-7), independently of the library's bit arithmetic.
//   - parse_form: success yields at most max_form_params parameters with non-empty, distinct,
//     UTF-8 names and UTF-8 values, no more bytes than the body has; failure gives a reason.
//   - split_target: path + "?" + query reassembles the target; the path has no '?'.
//   - parse_basic_auth: what it returns came from the header (bounded by its length), and
//     "Basic base64(urlencode(id):urlencode(secret))" round-trips for any id and secret.
// fuzz-runs: 25000
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/base64.hpp"
#include "identity/http_form.hpp"

namespace {

// Unicode 15, Table 3-7: the well-formed UTF-8 byte sequences.
bool reference_utf8(std::string_view s) {
  auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  std::size_t i = 0;
  while (i < s.size()) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    std::size_t left = s.size() - i;
    if (b(0) <= 0x7f) {
      i += 1;
    } else if (in(b(0), 0xc2, 0xdf)) {
      if (left < 2 || !in(b(1), 0x80, 0xbf)) return false;
      i += 2;
    } else if (in(b(0), 0xe0, 0xef)) {
      unsigned lo = b(0) == 0xe0 ? 0xa0 : 0x80, hi = b(0) == 0xed ? 0x9f : 0xbf;
      if (left < 3 || !in(b(1), lo, hi) || !in(b(2), 0x80, 0xbf)) return false;
      i += 3;
    } else if (in(b(0), 0xf0, 0xf4)) {
      unsigned lo = b(0) == 0xf0 ? 0x90 : 0x80, hi = b(0) == 0xf4 ? 0x8f : 0xbf;
      if (left < 4 || !in(b(1), lo, hi) || !in(b(2), 0x80, 0xbf) || !in(b(3), 0x80, 0xbf))
        return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

void check_url_decode(std::string_view s) {
  if (auto d = mh::fake::url_decode(s)) {
    std::size_t escapes = 0;
    for (char c : s) escapes += c == '%';
    if (d->size() > s.size() || d->size() != s.size() - 2 * escapes) __builtin_trap();
  }
  auto back = mh::fake::url_decode(mh::fake::url_encode(s));
  if (!back || *back != s) __builtin_trap();
}

void check_form(std::string_view body) {
  std::string why;
  auto f = mh::fake::parse_form(body, &why);
  if (!f) {
    if (why.empty()) __builtin_trap();
    return;
  }
  if (f->items().size() > mh::fake::max_form_params) __builtin_trap();
  std::set<std::string> names;
  std::size_t bytes = 0;
  for (const auto& item : f->items()) {
    const std::string& name = item.first;
    const std::string& value = item.second;
    if (name.empty() || !names.insert(name).second) __builtin_trap();
    if (!mh::fake::valid_utf8(name) || !mh::fake::valid_utf8(value)) __builtin_trap();
    if (f->get(name) != &value) __builtin_trap();  // the first (only) one is found
    bytes += name.size() + value.size();
  }
  if (bytes > body.size()) __builtin_trap();
}

void check_target(std::string_view target) {
  auto parts = mh::fake::split_target(target);
  std::string_view path = parts.first, query = parts.second;
  if (path.find('?') != std::string_view::npos) __builtin_trap();
  std::string joined(path);
  if (path.size() < target.size()) joined += "?" + std::string(query);
  if (joined != target) __builtin_trap();
}

void check_basic(std::string_view header) {
  if (auto b = mh::fake::parse_basic_auth(header))
    if (b->id.size() + b->secret.size() > header.size()) __builtin_trap();
  // Round trip: the input split at its first '|' as id and secret.
  auto bar = header.find('|');
  std::string id(header.substr(0, bar));
  std::string secret(bar == std::string_view::npos ? std::string_view() : header.substr(bar + 1));
  std::string h = "Basic " + mh::base64_encode(mh::fake::url_encode(id) + ":" +
                                               mh::fake::url_encode(secret));
  auto b = mh::fake::parse_basic_auth(h);
  if (!b || b->id != id || b->secret != secret) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view s(reinterpret_cast<const char*>(data), size);
  if (mh::fake::valid_utf8(s) != reference_utf8(s)) __builtin_trap();
  check_url_decode(s);
  check_form(s);
  check_target(s);
  check_basic(s);
  return 0;
}
