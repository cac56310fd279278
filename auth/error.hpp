// The auth layer's error vocabulary. Each text is the `message` header of the ERROR frame the
// broker sends when a CONNECT is refused; docs/protocol.md lists them. Keep both in step.
// Pure values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace stampede::auth {

enum class AuthError : std::uint8_t {
    None,
    InvalidToken,            // "invalid token": bad base64url, segments, JSON, header, claims
    AlgorithmNotAllowed,     // "token algorithm not allowed": none, not allowed, key type mismatch
    UnknownKeyId,            // "unknown key id"
    BadSignature,            // "bad token signature"
    TokenExpired,            // "token expired"
    TokenNotYetValid,        // "token not yet valid": nbf, or iat in the future
    IssuerMismatch,          // "token issuer mismatch"
    AudienceMismatch,        // "token audience mismatch"
    TokenRevoked,            // "token revoked"
    TokenTooLarge,           // "token too large"
    BadCredentials,          // "bad credentials": service account login/passcode
    AuthenticationRequired,  // "authentication required": no credentials, anonymous off
};

/// The fixed, short text for the ERROR frame's `message` header.
std::string_view to_text(AuthError error);

/// A value or an error, with a detail line for the log (never sent to the client: it may say
/// which check failed in more words than an attacker should get).
template <typename T>
struct AuthResult {
    std::optional<T> value;
    AuthError error = AuthError::None;
    std::string detail;

    bool ok() const { return value.has_value(); }

    static AuthResult success(T v) {
        AuthResult result;
        result.value = std::move(v);
        return result;
    }
    static AuthResult failure(AuthError e, std::string why = {}) {
        AuthResult result;
        result.error = e;
        result.detail = std::move(why);
        return result;
    }
};

}  // namespace stampede::auth
