// Micro-benchmarks of the OAuth SASL strings with a realistic 1.5 KB token: the client's
// initial response (payload + base64, and the whole AUTH line as the FSMs build it) and
// the server side's base64 decode + payload parse (what the fake does per login).
// Numbers only; never run as tests (DESIGN §6).
#include <benchmark/benchmark.h>

#include "bench_token.hpp"
#include "core/base64.hpp"
#include "sasl/decode.hpp"
#include "sasl/mechanism.hpp"
#include "session/sasl_session.hpp"

namespace {

using namespace mh;

const std::string& token() {
  static const std::string t = bench::exchange_token();
  return t;
}

std::string raw_payload(sasl::mech m) {
  return m == sasl::mech::xoauth2
             ? sasl::xoauth2_payload("alice@contoso.com", token())
             : sasl::oauthbearer_payload("alice@contoso.com", "outlook.office365.com", 993, token());
}

// payload + base64: the bytes of the initial response.
void BM_SaslEncode(benchmark::State& state, sasl::mech m) {
  for (auto _ : state) benchmark::DoNotOptimize(base64_encode(raw_payload(m)));
  state.counters["token_bytes"] = static_cast<double>(token().size());
}
BENCHMARK_CAPTURE(BM_SaslEncode, xoauth2, sasl::mech::xoauth2);
BENCHMARK_CAPTURE(BM_SaslEncode, oauthbearer, sasl::mech::oauthbearer);

// The AUTHENTICATE line with initial response as the IMAP client builds it per login
// (mechanism selection, payload, base64, the transcript's stand-in with the token fingerprint).
void BM_SaslAuthCommand(benchmark::State& state, sasl::choice c) {
  client_params p;
  p.creds.user = "alice@contoso.com";
  p.creds.token = secret_string(token());
  p.creds.host = "outlook.office365.com";
  p.creds.port = 993;
  p.mech = c;
  p.allow_unadvertised = true;
  const auto advertised = sasl::parse_mech_list("PLAIN XOAUTH2");
  for (auto _ : state) {
    sasl_session s;
    std::string why;
    if (s.select(p, advertised, true, why)) {
      state.SkipWithError("mechanism not selected");
      break;
    }
    benchmark::DoNotOptimize(
        s.command("A002 AUTHENTICATE", sasl::imap_params, sasl::form::initial_response, true));
  }
}
BENCHMARK_CAPTURE(BM_SaslAuthCommand, xoauth2, sasl::choice::xoauth2);
BENCHMARK_CAPTURE(BM_SaslAuthCommand, oauthbearer, sasl::choice::oauthbearer);

// Server side: base64 decode, then split user / token (and host / port) and check the form.
void BM_SaslDecode(benchmark::State& state, sasl::mech m) {
  const std::string wire = base64_encode(raw_payload(m));
  auto parse = m == sasl::mech::xoauth2 ? sasl::decode_xoauth2 : sasl::decode_oauthbearer;
  for (auto _ : state) {
    auto raw = base64_decode(wire);
    auto payload = raw ? parse(*raw) : std::nullopt;
    if (!payload || !payload->canonical) {
      state.SkipWithError("payload not decoded");
      break;
    }
    benchmark::DoNotOptimize(payload->token.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK_CAPTURE(BM_SaslDecode, xoauth2, sasl::mech::xoauth2);
BENCHMARK_CAPTURE(BM_SaslDecode, oauthbearer, sasl::mech::oauthbearer);

}  // namespace
