// CloseReason: every reason the broker closes a connection with an ERROR frame, and the one
// fixed text of each (the ERROR `message` header). The texts are the wire protocol's ERROR
// vocabulary, a contract with clients and tests: docs/protocol.md lists them, and a unit test
// keeps that table and this enum in step. The reasons are raised from every floor (the parser
// here, auth, the session); each floor's own error enum converts to this one with one
// function: protocol::close_reason (ProtocolError), auth::close_reason (AuthError),
// broker::close_reason (PublishError). Metrics and logs name reasons by the same text.
// Pure values, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace stampede::protocol {

enum class CloseReason : std::uint8_t {
    // Limits
    FrameTooLarge,         // max_frame_bytes exceeded
    TooManyHeaders,        // max_headers exceeded
    HeaderLineTooLong,     // max_header_line_bytes exceeded
    TooManySubscriptions,  // max_subscriptions_per_connection exceeded
    SlowConsumer,          // slow consumer
    TransactionTooLarge,   // max_transaction_bytes exceeded
    // Framing
    BadContentLength,  // bad content-length
    MissingNul,        // body not terminated by NUL
    MalformedHeader,   // malformed header
    BadEscape,         // invalid header escape
    MalformedFrame,    // malformed frame
    // The session's state machine and its frames
    NotConnected,              // not connected
    AlreadyConnected,          // already connected
    UnknownCommand,            // unknown command
    UnsupportedVersion,        // unsupported version
    BadHeartBeat,              // bad heart-beat
    MissingDestination,        // missing destination header
    UnknownDestinationPrefix,  // unknown destination prefix
    MissingId,                 // missing id header
    DuplicateSubscriptionId,   // duplicate subscription id
    BadAckMode,                // bad ack mode
    UnknownMessageId,          // unknown message id
    BadPrefetchCount,          // bad prefetch-count
    MissingTransaction,        // missing transaction header
    TransactionAlreadyBegun,   // transaction already begun
    UnknownTransaction,        // unknown transaction
    QueueFull,                 // queue full
    BadHistoryHeader,          // bad history header
    StorageUnavailable,        // storage unavailable
    BadDestination,            // bad destination (a malformed /user/ or /reply-queue/ name)
    NeedsPrincipal,            // user destination needs a principal
    NotSupported,              // not supported (a feature this node's storage backend lacks)
    // Credentials
    AuthenticationRequired,  // authentication required
    BadCredentials,          // bad credentials
    InvalidToken,            // invalid token
    AlgorithmNotAllowed,     // token algorithm not allowed
    UnknownKeyId,            // unknown key id
    BadSignature,            // bad token signature
    TokenExpired,            // token expired
    TokenNotYetValid,        // token not yet valid
    IssuerMismatch,          // token issuer mismatch
    PrincipalMismatch,       // token principal mismatch (a refresh naming someone else)
    AudienceMismatch,        // token audience mismatch
    TokenRevoked,            // token revoked
    TokenTooLarge,           // token too large
    TooManyFailures,         // too many failures
    AccessDenied,            // access denied
    AccessRevoked,           // access revoked
    TooManyConnections,      // too many connections
    // Time and the node
    ConnectTimeout,      // connect timeout
    HeartBeatTimeout,    // heart-beat timeout
    ClosedByAdmin,       // closed by an administrator (the admin API's DELETE)
    ServerShuttingDown,  // server shutting down: keep it last (kCloseReasonCount)
};

/// How many reasons there are: every value in [0, kCloseReasonCount) is one, so an array
/// indexed by the enum (per-reason metrics) has this size.
inline constexpr std::size_t kCloseReasonCount =
    static_cast<std::size_t>(CloseReason::ServerShuttingDown) + 1;

/// The fixed, short text for the ERROR frame's `message` header; never carries detail (the
/// ERROR body does that).
std::string_view close_reason_text(CloseReason reason);

}  // namespace stampede::protocol
