// The auth layer's errors. A CONNECT refused for one closes with an ERROR whose `message`
// header is the text of its CloseReason (protocol/close_reason.hpp, the whole vocabulary).
// Pure values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/close_reason.hpp"

namespace stampede::auth {

enum class AuthError : std::uint8_t {
    None,
    InvalidToken,         // bad base64url, segments, JSON, header, claims
    AlgorithmNotAllowed,  // none, not allowed, key type mismatch
    UnknownKeyId,
    BadSignature,
    TokenExpired,
    TokenNotYetValid,  // nbf, or iat in the future
    IssuerMismatch,
    PrincipalMismatch,  // a token refresh for another principal than the session's
    AudienceMismatch,
    TokenRevoked,
    TokenTooLarge,
    BadCredentials,          // service account login/passcode
    AuthenticationRequired,  // no credentials, anonymous off
};

/// The reason a connection closes for `error` (not None).
protocol::CloseReason close_reason(AuthError error);

/// The reason's fixed text (the ERROR `message`, the HTTP 401 `error`); "ok" for None.
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
