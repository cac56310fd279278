// The auth errors name the ERROR vocabulary's credential reasons, with the texts clients and
// the HTTP 401 answers have always carried.
#include "auth/error.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace stampede::auth {
namespace {

using protocol::CloseReason;

TEST(AuthError, EachConvertsToItsCloseReasonAndText) {
    const std::pair<AuthError, CloseReason> cases[] = {
        {AuthError::InvalidToken, CloseReason::InvalidToken},
        {AuthError::AlgorithmNotAllowed, CloseReason::AlgorithmNotAllowed},
        {AuthError::UnknownKeyId, CloseReason::UnknownKeyId},
        {AuthError::BadSignature, CloseReason::BadSignature},
        {AuthError::TokenExpired, CloseReason::TokenExpired},
        {AuthError::TokenNotYetValid, CloseReason::TokenNotYetValid},
        {AuthError::IssuerMismatch, CloseReason::IssuerMismatch},
        {AuthError::PrincipalMismatch, CloseReason::PrincipalMismatch},
        {AuthError::AudienceMismatch, CloseReason::AudienceMismatch},
        {AuthError::TokenRevoked, CloseReason::TokenRevoked},
        {AuthError::TokenTooLarge, CloseReason::TokenTooLarge},
        {AuthError::BadCredentials, CloseReason::BadCredentials},
        {AuthError::AuthenticationRequired, CloseReason::AuthenticationRequired},
    };
    for (const auto& [error, reason] : cases) {
        EXPECT_EQ(close_reason(error), reason) << to_text(error);
        EXPECT_EQ(to_text(error), protocol::close_reason_text(reason));
    }
}

TEST(AuthError, TextsAreTheContract) {
    EXPECT_EQ(to_text(AuthError::None), "ok");
    EXPECT_EQ(to_text(AuthError::InvalidToken), "invalid token");
    EXPECT_EQ(to_text(AuthError::AlgorithmNotAllowed), "token algorithm not allowed");
    EXPECT_EQ(to_text(AuthError::UnknownKeyId), "unknown key id");
    EXPECT_EQ(to_text(AuthError::BadSignature), "bad token signature");
    EXPECT_EQ(to_text(AuthError::TokenExpired), "token expired");
    EXPECT_EQ(to_text(AuthError::TokenNotYetValid), "token not yet valid");
    EXPECT_EQ(to_text(AuthError::IssuerMismatch), "token issuer mismatch");
    EXPECT_EQ(to_text(AuthError::PrincipalMismatch), "token principal mismatch");
    EXPECT_EQ(to_text(AuthError::AudienceMismatch), "token audience mismatch");
    EXPECT_EQ(to_text(AuthError::TokenRevoked), "token revoked");
    EXPECT_EQ(to_text(AuthError::TokenTooLarge), "token too large");
    EXPECT_EQ(to_text(AuthError::BadCredentials), "bad credentials");
    EXPECT_EQ(to_text(AuthError::AuthenticationRequired), "authentication required");
}

}  // namespace
}  // namespace stampede::auth
