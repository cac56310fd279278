// JWS algorithms (RFC 7518 section 3, RFC 8037) and the table that ties each one to the only
// key type that may verify it. The token's `alg` never chooses a key type: a key is used only
// when its own type (and its JWK `alg`, when given) agrees with this table. Pure, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stampede::auth {

enum class Algorithm : std::uint8_t {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
};

enum class KeyType : std::uint8_t {
    Secret,  // JWK "oct", or a configured HMAC secret
    Rsa,     // at least kMinRsaBits
    EcP256,
    EcP384,
    EcP521,
    Ed25519,
};

/// RSA keys shorter than this are refused when loaded (RFC 7518 3.3 asks for 2048).
inline constexpr int kMinRsaBits = 2048;

/// Exact, case-sensitive JOSE name ("HS256", ..., "EdDSA"). "none" and anything unknown give
/// nullopt: there is no Algorithm value for an unsigned token.
std::optional<Algorithm> parse_algorithm(std::string_view name);

std::string_view algorithm_name(Algorithm algorithm);

/// The compatibility table: HS* -> Secret; RS*, PS* -> Rsa; ES256 -> EcP256, ES384 -> EcP384,
/// ES512 -> EcP521; EdDSA -> Ed25519.
KeyType key_type_for(Algorithm algorithm);

std::string_view key_type_name(KeyType type);

/// OpenSSL digest name for the algorithm ("SHA256", ...); empty for EdDSA (no pre-hash).
std::string_view digest_name(Algorithm algorithm);

}  // namespace stampede::auth
