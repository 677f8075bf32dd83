#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace mh {
namespace {

constexpr std::string_view std_alpha =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alpha =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode(std::string_view in, std::string_view alpha, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) |
                      (std::uint32_t(std::uint8_t(in[i + 1])) << 8) | std::uint8_t(in[i + 2]);
    out += alpha[(v >> 18) & 63];
    out += alpha[(v >> 12) & 63];
    out += alpha[(v >> 6) & 63];
    out += alpha[v & 63];
  }
  std::size_t rest = in.size() - i;
  if (rest) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    if (rest == 2) v |= std::uint32_t(std::uint8_t(in[i + 1])) << 8;
    out += alpha[(v >> 18) & 63];
    out += alpha[(v >> 12) & 63];
    if (rest == 2) out += alpha[(v >> 6) & 63];
    if (pad) out.append(rest == 1 ? 2 : 1, '=');
  }
  return out;
}

std::array<std::int8_t, 256> make_table(std::string_view alpha) {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (std::size_t i = 0; i < alpha.size(); ++i) t[std::uint8_t(alpha[i])] = std::int8_t(i);
  return t;
}

std::optional<std::string> decode(std::string_view in, const std::array<std::int8_t, 256>& t,
                                  bool padded) {
  std::size_t pad = 0;
  if (padded) {
    if (in.size() % 4 != 0) return std::nullopt;
    while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  } else {
    while (!in.empty() && in.back() == '=') in.remove_suffix(1);
    if (in.size() % 4 == 1) return std::nullopt;
  }
  std::string_view body = in.substr(0, in.size() - pad);
  std::string out;
  out.reserve(body.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : body) {
    std::int8_t v = t[std::uint8_t(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  // Reject non-canonical encodings whose discarded bits are not zero.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64_encode(std::string_view data) { return encode(data, std_alpha, true); }
std::string base64url_encode(std::string_view data) { return encode(data, url_alpha, false); }

std::optional<std::string> base64_decode(std::string_view text) {
  static const auto table = make_table(std_alpha);
  return decode(text, table, true);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  static const auto table = make_table(url_alpha);
  return decode(text, table, false);
}

}  // namespace mh
