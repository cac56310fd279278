// What goes into the publish pipeline and what comes out of it (core/publish.hpp), as plain
// values, so the helpers the pipeline calls (reply queues, user destinations) can speak them
// without including the pipeline. Shard thread only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/principal.hpp"
#include "protocol/close_reason.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "storage/history_log.hpp"

namespace stampede::broker {

/// Where a publish comes from: decides which checks apply.
enum class PublishSource {
    Stomp,    // a client's SEND: ACL, stamped with the session's principal
    Http,     // POST /api/v1/publish: ACL, stamped with the credential's principal
    Backend,  // Redis <prefix>:publish: trusted (access to Redis is), topics only, not
              // relayed (every node receives it from Redis itself)
};

enum class PublishError {
    None,
    UnknownPrefix,
    AccessDenied,
    NotATopic,
    QueueFull,
    StorageUnavailable,
    BadDestination,  // a malformed /user/ or /reply-queue/ name, or /temp-queue/ (reply-to only)
};

struct PublishRequest {
    PublishSource source = PublishSource::Stomp;
    std::string_view destination;
    const auth::Principal* sender = nullptr;  // Stomp, Http
    // Stomp: the sender's CONNECTED `session`, for `reply-to:/temp-queue/` (reply_queues.hpp).
    std::string_view session_name;
    // The headers and body: a frame's views (STOMP), or owned pairs (HTTP, backend).
    const std::vector<protocol::Header>* frame_headers = nullptr;
    std::string_view frame_body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// A backend publish, which every node receives alike: its identity, so that a room with
    /// the redis backend numbers it once for the cluster.
    std::string dedupe;
    /// A room message with the file backend: called (on the log's thread) once the message is
    /// on disk, or failed to get there. Unset: nobody waits for it.
    storage::AppendDone on_stored;
    /// A user-queue message on a cluster, sent through Redis: called on the shard thread
    /// once Redis answered, with None or QueueFull. Unset: nobody waits for it.
    std::function<void(PublishError)> on_queued;
};

/// The reason a SEND refused for `error` (not None) closes its connection; HTTP answers with
/// its text too, and maps the error to a status.
protocol::CloseReason close_reason(PublishError error);

struct PublishResult {
    PublishError error = PublishError::None;
    std::string detail;            // for the ERROR body or the HTTP error
    protocol::MessagePtr message;  // the message made, when accepted
    /// A room message the durable log is still writing: request.on_stored will be called.
    bool awaiting_storage = false;
    /// An x-ephemeral message over its sender's rate in a presence room: accepted (no error,
    /// the connection stays) but not delivered; `message` is null.
    bool dropped = false;
};

}  // namespace stampede::broker
