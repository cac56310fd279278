// JWT verification per algorithm: what one CONNECT with a token costs the shard. Each case
// verifies the same token (parse, key lookup by kid, signature, claims, principal and roles)
// over and over; the keys are generated at start by OpenSSL, as the unit tests do, and the
// tokens are signed by the test signer (tests/unit/auth/jose_signer.hpp), not by the verifier.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "jose_signer.hpp"

namespace {

using stampede::auth::Algorithm;
using stampede::auth::algorithm_name;
using stampede::auth::JwtVerifier;
using stampede::auth::key_type_for;
using stampede::auth::KeySet;
using stampede::auth::KeyType;
namespace signer = stampede::auth::testing;

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kSecret = "hmac-secret-hmac-secret-hmac-secret-0123456789";

struct Fixture {
    std::map<KeyType, signer::PrivateKey> keys;
    std::shared_ptr<const KeySet> key_set;

    Fixture() {
        keys[KeyType::Rsa] = signer::generate_rsa(2048);
        keys[KeyType::EcP256] = signer::generate_ec("P-256");
        keys[KeyType::EcP384] = signer::generate_ec("P-384");
        keys[KeyType::EcP521] = signer::generate_ec("P-521");
        keys[KeyType::Ed25519] = signer::generate_ed25519();
        const std::string jwks =
            R"({"keys":[)" + signer::public_jwk(keys[KeyType::Rsa].get(), "rsa") + "," +
            signer::public_jwk(keys[KeyType::EcP256].get(), "p256") + "," +
            signer::public_jwk(keys[KeyType::EcP384].get(), "p384") + "," +
            signer::public_jwk(keys[KeyType::EcP521].get(), "p521") + "," +
            signer::public_jwk(keys[KeyType::Ed25519].get(), "ed") +
            R"(,{"kty":"oct","kid":"hmac","k":")" + signer::b64(kSecret) + R"("}]})";
        key_set = KeySet::from_jwks(jwks).keys;
    }

    static const Fixture& get() {
        static const Fixture fixture;
        return fixture;
    }
};

void BM_Verify(benchmark::State& state, Algorithm alg) {
    const Fixture& fixture = Fixture::get();
    if (!fixture.key_set) {
        state.SkipWithError("could not build the key set");
        return;
    }
    const KeyType type = key_type_for(alg);
    const auto key = fixture.keys.find(type);
    const std::string token = signer::mint(
        alg, key == fixture.keys.end() ? nullptr : key->second.get(), kSecret,
        signer::header_for(alg, signer::kid_for(type)),
        R"({"sub":"alice","roles":["member","admin"],"exp":)" + std::to_string(kNow + 600) +
            R"(,"iat":)" + std::to_string(kNow - 10) + "}");
    stampede::config::JwtIssuerConfig config;
    config.name = "members";
    config.algorithms = {std::string(algorithm_name(alg))};
    const auto built = JwtVerifier::create(config, fixture.key_set);
    if (!built.verifier || !built.verifier->verify(token, kNow).ok()) {
        state.SkipWithError("the token does not verify");
        return;
    }
    for (auto _ : state) {
        auto result = built.verifier->verify(token, kNow);
        benchmark::DoNotOptimize(result);
    }
    state.counters["verifies/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Verify, HS256, Algorithm::HS256);
BENCHMARK_CAPTURE(BM_Verify, HS384, Algorithm::HS384);
BENCHMARK_CAPTURE(BM_Verify, HS512, Algorithm::HS512);
BENCHMARK_CAPTURE(BM_Verify, RS256, Algorithm::RS256);
BENCHMARK_CAPTURE(BM_Verify, RS384, Algorithm::RS384);
BENCHMARK_CAPTURE(BM_Verify, RS512, Algorithm::RS512);
BENCHMARK_CAPTURE(BM_Verify, PS256, Algorithm::PS256);
BENCHMARK_CAPTURE(BM_Verify, PS384, Algorithm::PS384);
BENCHMARK_CAPTURE(BM_Verify, PS512, Algorithm::PS512);
BENCHMARK_CAPTURE(BM_Verify, ES256, Algorithm::ES256);
BENCHMARK_CAPTURE(BM_Verify, ES384, Algorithm::ES384);
BENCHMARK_CAPTURE(BM_Verify, ES512, Algorithm::ES512);
BENCHMARK_CAPTURE(BM_Verify, EdDSA, Algorithm::EdDSA);

BENCHMARK_MAIN();
