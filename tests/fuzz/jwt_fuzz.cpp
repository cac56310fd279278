// JWT fuzz target. The first byte picks what the rest is: a token for an HS256 issuer's
// Guards::verify (what every CONNECT's Authorization header reaches), a JWKS document
// (fetched from a jwks_url), or a PEM key. Nothing may crash; a token only passes with the
// right signature. libFuzzer or replay_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "auth/guards.hpp"
#include "auth/jwks.hpp"

namespace {

const stampede::auth::Guards& guards() {
    static const auto loaded = [] {
        stampede::config::JwtIssuerConfig issuer;
        issuer.name = "fuzz";
        issuer.algorithms = {"HS256"};
        issuer.keys.secret = "fuzz-secret-fuzz-secret-fuzz-secret!";
        return stampede::auth::load_guards({issuer}, 8192);
    }();
    if (loaded.guards == nullptr) {
        std::abort();
    }
    return *loaded.guards;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stampede::auth;
    if (size < 1) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 3) {
        case 0:
            (void)guards().verify(input, 1'800'000'000, nullptr);
            break;
        case 1:
            (void)KeySet::from_jwks(input);
            break;
        default:
            (void)KeySet::from_pem(input);
            break;
    }
    return 0;
}
