// Micro-benchmarks of mh::jwt on an Exchange-shaped v1.0 access token (bench_token.hpp):
// decode (split, base64url, JSON), RS256 and PS256 verify with RSA 2048 (the fake checks
// every login's token so), and RS256 signing (the fake's token minting). ES256 is not
// benchmarked: mh::jwt supports RS256 and PS256 only.
// Numbers only; never run as tests (DESIGN §6).
#include <benchmark/benchmark.h>

#include "bench_token.hpp"

namespace {

using namespace mh;

void BM_JwtDecode(benchmark::State& state) {
  const std::string token = bench::exchange_token();
  for (auto _ : state) {
    auto parts = jwt::decode(token);
    if (!parts) {
      state.SkipWithError("token not decoded");
      break;
    }
    benchmark::DoNotOptimize(parts->claims.size());
  }
  state.counters["token_bytes"] = static_cast<double>(token.size());
}
BENCHMARK(BM_JwtDecode);

// Signature check of an already decoded token.
void BM_JwtVerify(benchmark::State& state, const char* alg) {
  const auto parts = jwt::decode(bench::exchange_token(alg));
  const jwt::verify_key key = bench::bench_key().public_key();
  for (auto _ : state) {
    bool ok = parts && jwt::verify(*parts, key);
    if (!ok) {
      state.SkipWithError("signature does not verify");
      break;
    }
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK_CAPTURE(BM_JwtVerify, RS256, "RS256");
BENCHMARK_CAPTURE(BM_JwtVerify, PS256, "PS256");

// Signing a token: header and claims serialised, base64url, RSA private-key operation.
void BM_JwtSignRS256(benchmark::State& state) {
  const auto header = bench::exchange_header("RS256");
  const auto claims = bench::exchange_claims();
  const jwt::signing_key& key = bench::bench_key();
  for (auto _ : state) benchmark::DoNotOptimize(jwt::encode(header, claims, key));
}
BENCHMARK(BM_JwtSignRS256);

}  // namespace
