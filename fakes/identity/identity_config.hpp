// Settings of the fake identity platform. Every time-dependent decision reads `clock`, so
// tests move time instead of sleeping.
#pragma once

#include <cstdint>
#include <string>

#include "identity/ids.hpp"

namespace mh::fake {

struct identity_config {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: any free port
  std::string public_host = "localhost";     // the host name in every URL the server hands out
  clock_fn clock;                            // empty: the system clock
  std::uint64_t seed = 0;                    // token lifetimes; 0: random
  int device_code_lifetime_s = 900;          // Entra: 900
  int device_code_interval_s = 5;            // Entra: 5
  int auth_code_lifetime_s = 600;            // Entra: about 10 minutes
  std::string verification_uri = "https://microsoft.com/devicelogin";
};

}  // namespace mh::fake
