// SMTP client login (src/smtp/smtp_fsm.*, session/client_fsm.*, session/sasl_session.*) driven
// through the real driver and line engine by a scripted server whose bytes are the fuzz
// input. Input layout and invariants: client_login.hpp.
// fuzz-runs: 3000
#include "client_login.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return mh::fuzz::fuzz_login(mh::protocol::smtp, data, size);
}
