// ShardServices: what the code that runs on a shard (sessions, the publish pipeline, the
// authenticator, the HTTP API) needs from the shard that runs it. Implemented by the Shard;
// by a fake in unit tests. Shard thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "core/failure_tracker.hpp"
#include "core/security.hpp"
#include "protocol/close_reason.hpp"
#include "protocol/message.hpp"
#include "rooms/room_registry.hpp"
#include "storage/redis_history.hpp"
#include "storage/redis_user_queue.hpp"

namespace stampede::broker {

class Authenticator;
class Publisher;
class QueueManager;
class Session;
class Subscriber;
struct Subscription;

class ShardServices {
   public:
    virtual ~ShardServices() = default;
    virtual const config::Config& config() const = 0;
    virtual const Security& security() const = 0;
    virtual unsigned shard_index() const = 0;
    virtual const std::string& node_id() const = 0;
    virtual std::string make_message_id() = 0;
    virtual bool draining() const = 0;
    virtual QueueManager& queues() = 0;
    /// The node's rooms: sequence numbers and history (node-wide, thread-safe).
    virtual rooms::RoomRegistry& rooms() = 0;

    /// The one publish pipeline and the one credential check of this shard.
    virtual Publisher& publisher() = 0;
    virtual Authenticator& authenticator() = 0;
    /// A live session of this shard, or null when it has gone.
    virtual Session* find_session(std::uint64_t id) = 0;
    /// The same session seen as a Subscriber (for code that must not know Session).
    virtual Subscriber* find_subscriber(std::uint64_t id) = 0;

    /// Indexes a topic subscription (and tells the relay when the node gains interest).
    virtual void add_topic_subscription(Subscription* sub) = 0;
    virtual void remove_topic_subscription(Subscription* sub) = 0;
    /// With a cluster, a SUBSCRIBE's RECEIPT waits until Redis confirmed the node's channel
    /// subscription: returns true when the shard will call Session::send_receipt_id later.
    virtual bool defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) = 0;

    /// Fan-out beyond this shard, for the publish pipeline: every other shard of the node
    /// (their Publisher::deliver_from_shard), and the other nodes (no-op without a cluster).
    virtual void post_to_other_shards(const protocol::MessagePtr& message,
                                      std::size_t prefix_length) = 0;
    virtual void relay(const protocol::MessagePtr& message) = 0;
    /// Every shard of the node, this one too, through its inbox: for what must reach each
    /// shard's subscribers in one order (a room's numbered messages and presence changes,
    /// posted under the room's lock). Delivering this shard's own copy at once instead would
    /// let it overtake an earlier one another shard already put in this shard's inbox.
    virtual void post_to_every_shard(const protocol::MessagePtr& message,
                                     std::size_t prefix_length) = 0;

    /// The redis storage backend (rooms().in_redis()): whether the relay is connected now.
    virtual bool cluster_up() const { return false; }
    /// Numbers, keeps and publishes a room message in Redis; every node (this one too)
    /// delivers it from the room's channel. `stored` runs (on some shard) when Redis answered.
    virtual void publish_room_in_redis(const protocol::MessagePtr& message,
                                       const rooms::RoomRule& rule, std::string dedupe,
                                       storage::AppendDone stored) {
        (void)message, (void)rule, (void)dedupe;
        stored(false);
    }
    /// Whether the node is configured with a cluster (cluster.redis.url), up or not.
    virtual bool cluster_configured() const { return false; }
    /// Presence on a cluster: `member`'s subscriptions to `room` on this node began or ended;
    /// the home shard's relay reports it to Redis. Called under the room's presence lock, so
    /// it only posts.
    virtual void report_presence(std::string /*room*/, std::string /*member*/) {}
    /// A user-queue message on a cluster (storage/redis_user_queue.hpp): sent through Redis,
    /// kept there while no node has a subscriber. `done` runs on this shard once Redis
    /// answered (nullopt: it did not).
    using UserSendDone = std::function<void(std::optional<storage::UserSendOutcome>)>;
    virtual void publish_user_in_redis(const protocol::MessagePtr& message,
                                       std::uint64_t max_messages, bool drop_oldest,
                                       std::string dedupe, UserSendDone done) {
        (void)message, (void)max_messages, (void)drop_oldest, (void)dedupe;
        done(std::nullopt);
    }
    /// Subscription `sub` to a user queue began (`watch`) or ended on this shard: on a
    /// cluster the node listens on the queue's channel while it has one, and takes what
    /// waited in Redis once it listens. A SUBSCRIBE's `receipt` (non-empty) is then sent once
    /// that is done, so a RECEIPT means every node's sends reach the subscriber: true when
    /// the host took it over (the caller sends it otherwise).
    virtual bool watch_user_queue(const Subscription& sub, bool watch, std::string_view receipt) {
        (void)sub, (void)watch, (void)receipt;
        return false;
    }
    /// A replay read from Redis, once this node listens on the room's channel; `done` runs on
    /// this shard, with nullopt when Redis could not answer.
    using RoomReadDone = std::function<void(std::optional<storage::RoomReadReply>)>;
    virtual void read_room_in_redis(const std::string& room, const rooms::RoomRule& rule,
                                    bool since, std::uint64_t count_or_seq, RoomReadDone done) {
        (void)room, (void)rule, (void)since, (void)count_or_seq;
        done(std::nullopt);
    }

    /// For the authenticator: the node-wide brute-force guard, the cluster-wide deny-list
    /// (Redis <prefix>:revoked; the config's list is in security()), and slow work: `task`
    /// runs on the worker (false when its queue is full), `done` back on this shard.
    virtual FailureTracker& failures() = 0;
    virtual bool revoked_in_cluster(std::string_view jti) const = 0;
    virtual bool run_on_worker(std::function<void()> task) = 0;
    virtual void run_on_shard(std::function<void()> done) = 0;
    /// Runs `task` on shard `index` of this node, through its inbox (even for this shard);
    /// false when the node has no such shard. The default knows only this shard.
    virtual bool post_to_shard(unsigned index, std::function<void(ShardServices&)> task) {
        if (index != shard_index()) {
            return false;
        }
        run_on_shard([this, task = std::move(task)] { task(*this); });
        return true;
    }

    /// The admin API (http/admin_api.hpp): visits every live session of this shard (its
    /// connections and SockJS sessions alike), and writes an administrator's action to the
    /// log as one audit line.
    virtual void visit_sessions(const std::function<void(Session&)>& visit) = 0;
    virtual void audit(std::string_view line) = 0;

    /// Metrics: an accepted publish; messages dropped by the drop_oldest slow-consumer policy;
    /// a connection closed with an ERROR, by reason (a no-op unless the host keeps metrics).
    virtual void count_message_in() = 0;
    virtual void count_dropped(std::size_t messages) = 0;
    virtual void count_closed(protocol::CloseReason /*reason*/) {}
};

}  // namespace stampede::broker
