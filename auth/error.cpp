// The auth errors as close reasons; the texts are protocol/close_reason.cpp's. Pure, any thread.
#include "auth/error.hpp"

namespace stampede::auth {

using protocol::CloseReason;

CloseReason close_reason(AuthError error) {
    switch (error) {
        case AuthError::None:  // not an error: callers check first
        case AuthError::InvalidToken:
            return CloseReason::InvalidToken;
        case AuthError::AlgorithmNotAllowed:
            return CloseReason::AlgorithmNotAllowed;
        case AuthError::UnknownKeyId:
            return CloseReason::UnknownKeyId;
        case AuthError::BadSignature:
            return CloseReason::BadSignature;
        case AuthError::TokenExpired:
            return CloseReason::TokenExpired;
        case AuthError::TokenNotYetValid:
            return CloseReason::TokenNotYetValid;
        case AuthError::IssuerMismatch:
            return CloseReason::IssuerMismatch;
        case AuthError::PrincipalMismatch:
            return CloseReason::PrincipalMismatch;
        case AuthError::AudienceMismatch:
            return CloseReason::AudienceMismatch;
        case AuthError::TokenRevoked:
            return CloseReason::TokenRevoked;
        case AuthError::TokenTooLarge:
            return CloseReason::TokenTooLarge;
        case AuthError::BadCredentials:
            return CloseReason::BadCredentials;
        case AuthError::AuthenticationRequired:
            return CloseReason::AuthenticationRequired;
    }
    // Only reachable with a value cast from outside the enum.
    return CloseReason::InvalidToken;
}

std::string_view to_text(AuthError error) {
    return error == AuthError::None ? std::string_view("ok")
                                    : protocol::close_reason_text(close_reason(error));
}

}  // namespace stampede::auth
