// The one place the ERROR vocabulary's texts are written. They are a contract with clients and
// tests (docs/protocol.md, checked by tests/unit/protocol/close_reason_test.cpp), so a text
// never changes once shipped and never carries variable detail.
#include "protocol/close_reason.hpp"

namespace stampede::protocol {

std::string_view close_reason_text(CloseReason reason) {
    switch (reason) {
        case CloseReason::FrameTooLarge:
            return "max_frame_bytes exceeded";
        case CloseReason::TooManyHeaders:
            return "max_headers exceeded";
        case CloseReason::HeaderLineTooLong:
            return "max_header_line_bytes exceeded";
        case CloseReason::TooManySubscriptions:
            return "max_subscriptions_per_connection exceeded";
        case CloseReason::SlowConsumer:
            return "slow consumer";
        case CloseReason::TransactionTooLarge:
            return "max_transaction_bytes exceeded";
        case CloseReason::BadContentLength:
            return "bad content-length";
        case CloseReason::MissingNul:
            return "body not terminated by NUL";
        case CloseReason::MalformedHeader:
            return "malformed header";
        case CloseReason::BadEscape:
            return "invalid header escape";
        case CloseReason::MalformedFrame:
            return "malformed frame";
        case CloseReason::NotConnected:
            return "not connected";
        case CloseReason::AlreadyConnected:
            return "already connected";
        case CloseReason::UnknownCommand:
            return "unknown command";
        case CloseReason::UnsupportedVersion:
            return "unsupported version";
        case CloseReason::BadHeartBeat:
            return "bad heart-beat";
        case CloseReason::MissingDestination:
            return "missing destination header";
        case CloseReason::UnknownDestinationPrefix:
            return "unknown destination prefix";
        case CloseReason::MissingId:
            return "missing id header";
        case CloseReason::DuplicateSubscriptionId:
            return "duplicate subscription id";
        case CloseReason::BadAckMode:
            return "bad ack mode";
        case CloseReason::UnknownMessageId:
            return "unknown message id";
        case CloseReason::BadPrefetchCount:
            return "bad prefetch-count";
        case CloseReason::MissingTransaction:
            return "missing transaction header";
        case CloseReason::TransactionAlreadyBegun:
            return "transaction already begun";
        case CloseReason::UnknownTransaction:
            return "unknown transaction";
        case CloseReason::QueueFull:
            return "queue full";
        case CloseReason::BadHistoryHeader:
            return "bad history header";
        case CloseReason::StorageUnavailable:
            return "storage unavailable";
        case CloseReason::BadDestination:
            return "bad destination";
        case CloseReason::NeedsPrincipal:
            return "user destination needs a principal";
        case CloseReason::NotSupported:
            return "not supported";
        case CloseReason::AuthenticationRequired:
            return "authentication required";
        case CloseReason::BadCredentials:
            return "bad credentials";
        case CloseReason::InvalidToken:
            return "invalid token";
        case CloseReason::AlgorithmNotAllowed:
            return "token algorithm not allowed";
        case CloseReason::UnknownKeyId:
            return "unknown key id";
        case CloseReason::BadSignature:
            return "bad token signature";
        case CloseReason::TokenExpired:
            return "token expired";
        case CloseReason::TokenNotYetValid:
            return "token not yet valid";
        case CloseReason::IssuerMismatch:
            return "token issuer mismatch";
        case CloseReason::PrincipalMismatch:
            return "token principal mismatch";
        case CloseReason::AudienceMismatch:
            return "token audience mismatch";
        case CloseReason::TokenRevoked:
            return "token revoked";
        case CloseReason::TokenTooLarge:
            return "token too large";
        case CloseReason::TooManyFailures:
            return "too many failures";
        case CloseReason::AccessDenied:
            return "access denied";
        case CloseReason::AccessRevoked:
            return "access revoked";
        case CloseReason::TooManyConnections:
            return "too many connections";
        case CloseReason::ConnectTimeout:
            return "connect timeout";
        case CloseReason::HeartBeatTimeout:
            return "heart-beat timeout";
        case CloseReason::ClosedByAdmin:
            return "closed by an administrator";
        case CloseReason::ServerShuttingDown:
            return "server shutting down";
    }
    // Only reachable with a value cast from outside the enum; better an honest text than "".
    return "malformed frame";
}

}  // namespace stampede::protocol
