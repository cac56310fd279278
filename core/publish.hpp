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

#include "core/publish_request.hpp"
#include "core/router.hpp"
#include "core/unread_watchers.hpp"
#include "protocol/close_reason.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"
#include "rooms/room_registry.hpp"
#include "storage/history_log.hpp"

namespace stampede::broker {

class ShardServices;

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

    /// A presence change (rooms/presence.hpp, DESIGN.md "Rooms"): one more (`enter`) or one
    /// fewer subscription of `member` to `room`, a room of `rule` with presence on. When the
    /// node's members of the room changed: on one node, announce_presence under the presence
    /// lock; on a cluster, the change goes to Redis (ShardServices::report_presence) and comes
    /// back announced. The broker's own messages: no ACL, no x-seq, no history.
    /// (publish_presence.cpp)
    void publish_presence(std::string_view room, const rooms::RoomRule& rule,
                          std::string_view member, std::string_view info, bool enter);
    /// Sends a change of `room`'s members (`count` after it; `version` its number for the
    /// /stampede/presence/ watchers) to every shard: the room's notice, unless notices are
    /// off, and the watchers' event. On a cluster the home shard calls it for each change
    /// Redis published (rooms/presence_mirror.hpp). Nothing while the shard drains.
    void announce_presence(std::string_view room, const rooms::RoomRule& rule,
                           std::string_view member, std::uint64_t count, std::uint64_t version,
                           bool enter);

    Router& router() { return router_; }
    /// This shard's /stampede/unread subscriptions (unread_watchers.hpp).
    UnreadWatchers& unread() { return unread_; }

   private:
    // Makes the message for `target` (the destination, or a user queue's internal name, or a
    // reply's /temp-queue/NAME), stamped for a room when `room` is set.
    protocol::MessagePtr make(PublishRequest& request, std::string_view target,
                              const protocol::RoomStamp* room);
    // A topic message that is not a room's: here, the relay, the other shards.
    void fan_out(const protocol::MessagePtr& message, const PublishRequest& request,
                 std::size_t prefix_length);
    // A room's: numbered and kept by the registry, handed to the other shards in order.
    void publish_to_room(PublishRequest& request, const rooms::RoomRule& rule,
                         std::size_t prefix_length, PublishResult& result);
    /// A user-queue message on a cluster: through Redis (ShardServices::publish_user_in_redis).
    void publish_to_user_in_redis(PublishRequest& request, PublishResult& result);
    // The offline hook's look at the room's members (memory backend, hook configured).
    void report_offline_members(const PublishRequest& request, const protocol::Message& message);
    void publish_to_room_in_redis(PublishRequest& request, const rooms::RoomRule& rule,
                                  PublishResult& result);
    void deliver_here(const protocol::MessagePtr& message, std::string_view prefix,
                      std::string_view name);
    // A presence notice or watcher event, made by the broker (no sender, no sender headers).
    protocol::MessagePtr make_presence(std::string_view destination, std::string body,
                                       const protocol::RoomStamp& stamp);

    ShardServices& shard_;
    Router router_;                       // this shard's topic subscriptions
    UnreadWatchers unread_;               // this shard's /stampede/unread subscriptions
    std::vector<Subscription*> matches_;  // reused by every fan-out
};

/// Tells every shard of the node (this one too, through its inbox) that `principal`'s
/// membership or cursor of `room` changed, after the registry has the change: the
/// UnreadWatchers there re-read it (a session's own read or leave, the admin API's DELETE).
void announce_member_change(ShardServices& host, const std::string& principal,
                            const std::string& room);

}  // namespace stampede::broker
