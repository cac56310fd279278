// Relay: cross-node publishing over Redis pub/sub (DESIGN.md "Redis (cluster)").
// Lives on one shard (the home shard) and runs on its loop; every other shard talks to it
// through the home shard's inbox. Home shard thread only, except the atomic counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/channels.hpp"
#include "cluster/laravel_broadcast.hpp"
#include "cluster/revocation_sync.hpp"
#include "config/config.hpp"
#include "core/publish_form.hpp"
#include "protocol/message.hpp"
#include "rooms/room_registry.hpp"
#include "storage/redis_conn.hpp"
#include "storage/redis_history.hpp"
#include "storage/redis_presence.hpp"
#include "storage/redis_user_queue.hpp"

struct ev_loop;

namespace stampede::broker {

class Logger;

/// Relay counters, read by /metrics from any thread.
struct RelayCounters {
    std::atomic<std::uint64_t> published{0};  // PUBLISH answered by Redis
    std::atomic<std::uint64_t> received{0};   // envelopes from other nodes delivered here
    std::atomic<std::uint64_t> lost{0};       // could not be relayed (down, overflow, dropped)
    std::atomic<std::uint64_t> overflow{0};   // of which: over cluster.redis.max_pending_bytes
    std::atomic<std::uint64_t> backend_published{0};  // <prefix>:publish JSON delivered here
    std::atomic<int> connected{0};                    // 1 when both connections are up
};

/// A SUBSCRIBE receipt held until Redis confirmed the node's interest; or, with `then` set,
/// work that must wait for it (a room replay read), run on the home shard instead.
struct ReceiptWaiter {
    unsigned shard = 0;
    std::uint64_t session_id = 0;
    std::string receipt;
    std::function<void()> then;
};

/// A backend's publish read from Redis <prefix>:publish (the HTTP publish JSON form).
using BackendPublish = PublishForm;

class Relay {
   public:
    /// Delivers a message another node published to local subscribers: `glob` empty =
    /// exact-name subscriptions only; otherwise the wildcard subscriptions whose relay glob
    /// it is (Publisher::deliver_relayed).
    using DeliverFn = std::function<void(const protocol::MessagePtr&, const std::string& glob)>;
    /// Hands a backend publish to the publish pipeline (`raw`: the JSON as received, the same
    /// on every node); false when it was refused.
    using IngressFn = std::function<bool(BackendPublish, std::string_view raw)>;
    /// A room message numbered in Redis (nullopt: not stored: Redis down, overflow, error;
    /// or, for a backend publish, another node numbered it).
    using RoomPublishFn = std::function<void(std::optional<storage::RoomPublishReply>)>;
    using RoomReadFn = std::function<void(std::optional<storage::RoomReadReply>)>;
    /// What became of a user-queue message (nullopt: Redis down, overflow, error).
    using UserSendFn = std::function<void(std::optional<storage::UserSendOutcome>)>;
    /// The messages that waited in Redis for a user queue, oldest first (nullopt: not read).
    using UserDrainFn = std::function<void(std::optional<std::vector<protocol::MessagePtr>>)>;
    using ReceiptFn = std::function<void(const ReceiptWaiter&)>;
    using PostFn = std::function<void(std::function<void()>)>;  // run on the home shard
    /// A change of a room's members in the cluster's presence (rooms/presence_mirror.hpp),
    /// applied to the mirror: the home shard announces it to every shard.
    using PresenceFn = std::function<void(const rooms::PresenceMirror::Change&)>;
    /// The cluster-wide revoked jti set (<prefix>:revoked) changed.
    using RevokedFn = std::function<void(std::shared_ptr<const std::vector<std::string>>)>;

    Relay(const config::Config& config, const std::string& node_id, Logger& log,
          RelayCounters& counters, DeliverFn deliver, IngressFn ingress, ReceiptFn receipt,
          PostFn post_home);
    ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    /// Home shard thread, once its loop exists.
    void start(struct ev_loop* loop);
    void stop();

    void publish(const protocol::MessagePtr& message);
    /// The redis storage backend: numbers, keeps and PUBLISHes a room message in one script
    /// (storage/redis_history.hpp); every node, this one too, delivers it from the channel.
    /// `dedupe` (a backend publish, which every node receives): the first node numbers it.
    void publish_room(const protocol::MessagePtr& message, std::uint64_t max_messages,
                      std::int64_t max_age_ms, std::string_view dedupe, RoomPublishFn done);
    /// Reads a room's replay once the node's subscription to the room's channel is confirmed,
    /// so every later message arrives on the channel.
    void read_room(const std::string& room, bool since, std::uint64_t count_or_seq,
                   std::uint64_t max_messages, std::int64_t max_age_ms, RoomReadFn done);
    /// A user-queue message (storage/redis_user_queue.hpp): PUBLISHed to the queue's channel,
    /// kept in Redis when no node has a subscriber. Every node with one, this one too,
    /// delivers it from the channel. `dedupe` as for publish_room.
    void publish_user(const protocol::MessagePtr& message, std::uint64_t max_messages,
                      bool drop_oldest, std::string_view dedupe, UserSendFn done);
    /// Takes what waits in Redis for user queue `queue`, once the node's subscription to its
    /// channel is confirmed (add_interest first), so every later message arrives there.
    void drain_user_queue(const std::string& queue, UserDrainFn done);
    /// Reference-counted interest in a channel (exact) or a glob (pattern).
    void add_interest(const std::string& name, bool pattern);
    void remove_interest(const std::string& name, bool pattern);
    /// Calls `receipt` once `name` is confirmed by Redis (at once when Redis is down).
    void await_confirmation(const std::string& name, bool pattern, ReceiptWaiter waiter);
    void on_revoked(RevokedFn callback) { revocations_.on_change(std::move(callback)); }

    /// Presence on a cluster (storage/redis_presence.hpp), before start(): this node reports
    /// what `rooms.presence()` holds to Redis, keeps `rooms.mirror()` current from Redis, and
    /// calls `announce` with each change the mirror makes. (relay_presence.cpp)
    void enable_presence(rooms::RoomRegistry& rooms, PresenceFn announce);
    /// `member`'s subscriptions to `room` on this node began or ended: reported to Redis with
    /// the next changes script (several changes coalesce while one is in flight).
    void presence_changed(const std::string& room, const std::string& member);

   private:
    struct Interest {
        std::size_t count = 0;
        bool confirmed = false;
        std::vector<ReceiptWaiter> waiters;
    };
    struct Timers;

    void resolve_and_connect();
    void connect_to(const std::string& ip);
    void on_publisher_state(storage::RedisConnection::State state, std::string_view why);
    void on_subscriber_state(storage::RedisConnection::State state, std::string_view why);
    void on_push(std::string_view kind, std::string_view pattern, std::string_view channel,
                 std::string_view payload);
    void on_tick();
    void schedule_reconnect();
    void resubscribe();
    void count_lost(std::uint64_t messages);
    /// Whether one more message may go to Redis now (connected, under max_pending_bytes);
    /// when not, it is counted lost (and overflow).
    bool can_send_one();
    void release_waiters(Interest& interest);
    void update_connected();
    void handle_backend_publish(std::string_view json);
    // Presence (relay_presence.cpp).
    void presence_try_sync();
    void presence_flush();
    void presence_load();
    void presence_tick();
    void presence_lost();
    void on_presence_notice(std::string_view payload);
    std::uint32_t presence_ttl(std::string_view room) const;
    /// A broadcast of the Laravel app on `channel` (cluster.redis.laravel).
    void handle_laravel(std::string_view channel, std::string_view payload);
    std::unordered_map<std::string, Interest>& table(bool pattern) {
        return pattern ? patterns_ : channels_;
    }

    const config::Config& config_;
    std::string node_id_;
    Logger& log_;
    RelayCounters& counters_;
    DeliverFn deliver_;
    IngressFn ingress_;
    ReceiptFn receipt_;
    PostFn post_home_;
    storage::RedisAddress address_;
    std::string publish_channel_;  // <prefix>:publish
    std::string ping_channel_;     // <prefix>:ping:<node id>, the subscriber's watchdog
    RevocationSync revocations_;   // <prefix>:revoked, a SET of jti
    LaravelRoutes laravel_;        // cluster.redis.laravel, PSUBSCRIBEd from the start
    std::unique_ptr<storage::RedisConnection> publisher_;
    std::unique_ptr<storage::RedisConnection> subscriber_;
    std::unique_ptr<Timers> timers_;
    struct ev_loop* loop_ = nullptr;
    std::thread resolver_;
    bool stopping_ = false;

    // Presence: what changed here and is not reported yet, and where the link stands.
    rooms::RoomRegistry* presence_rooms_ = nullptr;
    PresenceFn announce_presence_;
    std::string presence_channel_;                                  // <prefix>:presence
    std::set<std::pair<std::string, std::string>> presence_dirty_;  // (room, member)
    bool presence_listening_ = false;  // the channel's subscription confirmed
    bool presence_synced_ = false;     // this connection reported everything (sync script)
    bool presence_busy_ = false;       // a sync or changes script in flight
    bool presence_reaping_ = false;    // a reap script in flight

    std::unordered_map<std::string, Interest> channels_;
    std::unordered_map<std::string, Interest> patterns_;
    double backoff_s_ = 0.1;
    double last_pong_ = 0;       // loop time of the last PING reply (publisher)
    double last_ping_seen_ = 0;  // loop time our watchdog PUBLISH came back (subscriber)
    bool ping_in_flight_ = false;
    bool outage_logged_ = false;
    std::uint64_t lost_this_outage_ = 0;
};

}  // namespace stampede::broker
