#include "token_source.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace mh::cli {
namespace {

token_read check(std::string raw, const std::string& where) {
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r' || raw.back() == ' ' ||
                          raw.back() == '\t'))
    raw.pop_back();
  std::size_t lead = 0;
  while (lead < raw.size() && (raw[lead] == ' ' || raw[lead] == '\t')) ++lead;
  raw.erase(0, lead);
  token_read out;
  if (raw.empty()) {
    out.error = where + " is empty: expected an OAuth access token";
    return out;
  }
  for (unsigned char c : raw) {
    if (c < 0x21 || c == 0x7f) {
      out.error = where + " holds more than one token or control characters: expected a "
                          "single access token on one line";
      OPENSSL_cleanse(raw.data(), raw.size());
      return out;
    }
  }
  out.token.emplace(std::move(raw));
  return out;
}

}  // namespace

token_read read_token_file(const std::string& path) {
  std::string raw;
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    raw = ss.str();
    return check(std::move(raw), "standard input");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    token_read out;
    out.error = "cannot read token file " + path + ": " + std::strerror(errno);
    return out;
  }
  // Bounded: a token file is at most a few KiB; refuse anything absurd.
  constexpr std::size_t max_size = 1 << 20;
  raw.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (raw.size() > max_size) {
    OPENSSL_cleanse(raw.data(), raw.size());
    token_read out;
    out.error = "token file " + path + " is larger than 1 MiB: not an access token";
    return out;
  }
  return check(std::move(raw), "token file " + path);
}

token_read read_token_env(const std::string& var) {
  const char* v = std::getenv(var.c_str());
  if (!v) {
    token_read out;
    out.error = "environment variable " + var + " is not set";
    return out;
  }
  return check(v, "environment variable " + var);
}

}  // namespace mh::cli
