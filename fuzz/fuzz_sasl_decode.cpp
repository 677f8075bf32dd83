// Server-side SASL decoders (XOAUTH2, OAUTHBEARER): what the fake does with a client's
// decoded AUTHENTICATE payload. First byte picks the mechanism; the rest is the payload.
#include <cstdint>
#include <string_view>

#include "sasl/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto p = (data[0] & 1) ? mh::sasl::decode_oauthbearer(raw) : mh::sasl::decode_xoauth2(raw);
  // Whatever was decoded came from the input: never more bytes than were given.
  if (p && p->user.size() + p->token.size() > raw.size()) __builtin_trap();
  return 0;
}
