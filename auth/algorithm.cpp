// Algorithm names and the algorithm -> key type table. Pure, any thread.
#include "auth/algorithm.hpp"

#include <array>
#include <utility>

namespace stampede::auth {
namespace {

constexpr std::array<std::pair<std::string_view, Algorithm>, 13> kNames = {{
    {"HS256", Algorithm::HS256},
    {"HS384", Algorithm::HS384},
    {"HS512", Algorithm::HS512},
    {"RS256", Algorithm::RS256},
    {"RS384", Algorithm::RS384},
    {"RS512", Algorithm::RS512},
    {"PS256", Algorithm::PS256},
    {"PS384", Algorithm::PS384},
    {"PS512", Algorithm::PS512},
    {"ES256", Algorithm::ES256},
    {"ES384", Algorithm::ES384},
    {"ES512", Algorithm::ES512},
    {"EdDSA", Algorithm::EdDSA},
}};

}  // namespace

std::optional<Algorithm> parse_algorithm(std::string_view name) {
    for (const auto& [text, algorithm] : kNames) {
        if (text == name) {
            return algorithm;
        }
    }
    return std::nullopt;
}

std::string_view algorithm_name(Algorithm algorithm) {
    for (const auto& [text, value] : kNames) {
        if (value == algorithm) {
            return text;
        }
    }
    return "?";
}

KeyType key_type_for(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::HS256:
        case Algorithm::HS384:
        case Algorithm::HS512:
            return KeyType::Secret;
        case Algorithm::RS256:
        case Algorithm::RS384:
        case Algorithm::RS512:
        case Algorithm::PS256:
        case Algorithm::PS384:
        case Algorithm::PS512:
            return KeyType::Rsa;
        case Algorithm::ES256:
            return KeyType::EcP256;
        case Algorithm::ES384:
            return KeyType::EcP384;
        case Algorithm::ES512:
            return KeyType::EcP521;
        case Algorithm::EdDSA:
            return KeyType::Ed25519;
    }
    return KeyType::Secret;
}

std::string_view key_type_name(KeyType type) {
    switch (type) {
        case KeyType::Secret:
            return "secret";
        case KeyType::Rsa:
            return "RSA";
        case KeyType::EcP256:
            return "EC P-256";
        case KeyType::EcP384:
            return "EC P-384";
        case KeyType::EcP521:
            return "EC P-521";
        case KeyType::Ed25519:
            return "Ed25519";
    }
    return "?";
}

std::string_view digest_name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::HS256:
        case Algorithm::RS256:
        case Algorithm::PS256:
        case Algorithm::ES256:
            return "SHA256";
        case Algorithm::HS384:
        case Algorithm::RS384:
        case Algorithm::PS384:
        case Algorithm::ES384:
            return "SHA384";
        case Algorithm::HS512:
        case Algorithm::RS512:
        case Algorithm::PS512:
        case Algorithm::ES512:
            return "SHA512";
        case Algorithm::EdDSA:
            return "";
    }
    return "";
}

}  // namespace stampede::auth
