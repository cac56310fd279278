// Texts of the auth error vocabulary. Pure, any thread.
#include "auth/error.hpp"

namespace stampede::auth {

std::string_view to_text(AuthError error) {
    switch (error) {
        case AuthError::None:
            return "ok";
        case AuthError::InvalidToken:
            return "invalid token";
        case AuthError::AlgorithmNotAllowed:
            return "token algorithm not allowed";
        case AuthError::UnknownKeyId:
            return "unknown key id";
        case AuthError::BadSignature:
            return "bad token signature";
        case AuthError::TokenExpired:
            return "token expired";
        case AuthError::TokenNotYetValid:
            return "token not yet valid";
        case AuthError::IssuerMismatch:
            return "token issuer mismatch";
        case AuthError::AudienceMismatch:
            return "token audience mismatch";
        case AuthError::TokenRevoked:
            return "token revoked";
        case AuthError::TokenTooLarge:
            return "token too large";
        case AuthError::BadCredentials:
            return "bad credentials";
        case AuthError::AuthenticationRequired:
            return "authentication required";
    }
    return "invalid token";
}

}  // namespace stampede::auth
