// Publisher: THE publish pipeline of a shard. Every way a message enters the broker comes
// through here: a STOMP SEND, an HTTP publish, a backend's JSON on Redis `<prefix>:publish`,
// a message another shard of this node published, and one relayed from another node. It is
// the one place where a destination is classified, the ACL decides, `x-sender` is stamped,
// the immutable Message is made, and the message fans out: to this shard's subscribers, to
// the other shards, to the queues and to the other nodes. Room history, sequence numbers and
// presence counts hook in here (docs/architecture.md, "The life of a message").
// Shard thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/principal.hpp"
#include "core/router.hpp"
#include "protocol/close_reason.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "rooms/room_registry.hpp"
#include "storage/history_log.hpp"

namespace stampede::broker {

class ShardServices;

/// Where a publish comes from: decides which checks apply.
enum class PublishSource {
    Stomp,    // a client's SEND: ACL, stamped with the session's principal
    Http,     // POST /api/v1/publish: ACL, stamped with the credential's principal
    Backend,  // Redis <prefix>:publish: trusted (access to Redis is), topics only, not
              // relayed (every node receives it from Redis itself)
};

struct PublishRequest {
    PublishSource source = PublishSource::Stomp;
    std::string_view destination;
    const auth::Principal* sender = nullptr;  // Stomp, Http
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
};

enum class PublishError {
    None,
    UnknownPrefix,
    AccessDenied,
    NotATopic,
    QueueFull,
    StorageUnavailable
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
};

class Publisher {
   public:
    explicit Publisher(ShardServices& shard) : shard_(shard) {}

    /// The checks alone (destination, ACL), for a SEND held in a transaction until COMMIT.
    PublishResult check(const PublishRequest& request) const;
    /// Checks, makes the message and fans it out.
    PublishResult publish(PublishRequest& request);

    /// A topic message published on another shard of this node: this shard's subscribers.
    void deliver_from_shard(const protocol::MessagePtr& message, std::size_t prefix_length);
    /// A message relayed from another node: this shard's subscribers of the Redis channel or
    /// glob it came on (`glob` empty: exact-name subscriptions; else wildcard subscriptions
    /// with that glob), so overlapping subscriptions get it once each.
    void deliver_relayed(const protocol::MessagePtr& message, const std::string& glob);

    Router& router() { return router_; }

   private:
    // Makes the message (stamped for a room when `room` is set).
    protocol::MessagePtr make(PublishRequest& request, const protocol::RoomStamp* room);
    // A topic message that is not a room's: here, the relay, the other shards.
    void fan_out(const protocol::MessagePtr& message, const PublishRequest& request,
                 std::size_t prefix_length);
    // A room's: numbered and kept by the registry, handed to the other shards in order.
    void publish_to_room(PublishRequest& request, const rooms::RoomRule& rule,
                         std::size_t prefix_length, PublishResult& result);
    void deliver_here(const protocol::MessagePtr& message, std::string_view prefix,
                      std::string_view name);

    ShardServices& shard_;
    Router router_;                       // this shard's topic subscriptions
    std::vector<Subscription*> matches_;  // reused by every fan-out
};

}  // namespace stampede::broker
