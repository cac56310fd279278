// QueueManager: the node's in-memory /queue/ destinations, shared by every shard. Each message
// goes to one consumer, round robin; messages wait (bounded) while nobody consumes. Per queue
// policy: bounds and overflow, redelivery limit, dead-letter queue, time to live.
// A user queue (`/user/<principal>/queue/NAME`, protocol/user_destination.hpp) fans out
// instead: each message goes to every consumer (every subscribed session of the principal).
// Any thread. No node-wide lock: the queues are spread over stripes by a hash of their name,
// each stripe with its own mutex, rules and queues, so SENDs and ACKs to different queues
// from different shards do not wait for each other (docs/architecture.md, "Queues").
// Deliveries and dead letters are handed on after the stripe's lock is released, so no
// thread ever holds two stripes' locks.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/destination.hpp"
#include "protocol/message.hpp"

namespace stampede::broker {

/// Names a consumer anywhere on the node: its shard, its session and its subscription id.
struct QueueConsumer {
    unsigned shard = 0;
    std::uint64_t session_id = 0;
    std::string subscription_id;
    bool operator==(const QueueConsumer&) const = default;
};

enum class QueueOverflow { Reject, DropOldest };

/// What applies to one queue (config: destinations.queues[], first matching pattern).
struct QueuePolicy {
    std::size_t max_messages = 100000;  // waiting messages
    std::size_t max_bytes = 0;          // sum of waiting bodies; 0 = no bound
    QueueOverflow overflow = QueueOverflow::Reject;
    std::uint32_t max_redeliveries = 5;
    std::string dead_letter = "{queue}.dlq";  // {queue} = the destination; "" = drop
    std::uint64_t ttl_ms = 0;                 // from the SEND; 0 = none
};

/// A destinations.queues[] entry: the queues whose destination starts with `prefix` and whose
/// rest matches `pattern` get `policy`. `slash_segments` (user queues, prefix `/user/`): the
/// rest's '/' separate segments too, so `/user/*/queue/inbox.#` reads as `*.queue.inbox.#`
/// (the principal is one segment: its '/' and '.' are percent-encoded).
struct QueueRule {
    std::string prefix;
    protocol::Pattern pattern;
    QueuePolicy policy;
    bool slash_segments = false;
};

/// `name` with every '/' as '.' (QueueRule::slash_segments).
std::string slashes_as_dots(std::string_view name);

class QueueManager {
   public:
    /// Called once per dispatched message, outside the lock, on the thread that dispatched.
    using DeliverFn = std::function<void(const QueueConsumer&, const protocol::MessagePtr&)>;

    explicit QueueManager(DeliverFn deliver) : deliver_(std::move(deliver)) {}

    /// The rules (first match wins) and the policy of a queue that matches none; applies to
    /// the queues that exist too (reload).
    void set_policies(std::vector<QueueRule> rules, QueuePolicy defaults);
    /// Shorthand for tests: defaults with this max_messages and no rules.
    void set_max_messages(std::size_t max_messages);

    /// Appends and dispatches; false when the queue is full under overflow: reject
    /// (drop_oldest dead-letters its oldest waiting messages instead).
    bool enqueue(const protocol::MessagePtr& message);
    /// Puts a message back at the head as it is (it never reached a client); never refused.
    /// A user queue's message is put back only when the queue has no consumer left (the
    /// others had their own copy): it waits for the next one.
    void requeue(const protocol::MessagePtr& message);
    /// A delivered message given back (NACK, UNSUBSCRIBE, disconnect): requeued at the head
    /// as a redelivery, or dead-lettered (`max-redeliveries`) when it was already redelivered
    /// max_redeliveries times. Call in reverse order to keep several in their order.
    void redeliver(const protocol::MessagePtr& delivered);
    /// A delivered message refused (NACK with requeue:false): dead-lettered, reason `rejected`.
    void reject(const protocol::MessagePtr& delivered);
    /// `prefetch`: at most this many of its deliveries unsettled at once (SUBSCRIBE's
    /// prefetch-count, client ack modes); 0 = no cap. The session settles them (settle()).
    void add_consumer(const std::string& destination, QueueConsumer consumer,
                      std::size_t prefetch = 0);
    void remove_consumer(const std::string& destination, const QueueConsumer& consumer);
    /// `count` deliveries to `consumer` were acknowledged or given back: it may take more.
    void settle(const std::string& destination, const QueueConsumer& consumer, std::size_t count);

    /// The policy `destination` has (its own while it exists, else the one it would get).
    QueuePolicy policy(const std::string& destination);
    /// Messages waiting in `destination` (tests, metrics).
    std::size_t depth(const std::string& destination);
    /// Messages that died with nowhere to go (dead_letter "", a dead letter's own death, a
    /// full dead-letter queue), since start.
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    /// Messages moved to a dead-letter queue, since start.
    std::uint64_t dead_lettered() const { return dead_lettered_.load(std::memory_order_relaxed); }

    /// How many stripes the queues are spread over.
    static constexpr std::size_t kStripes = 64;

   private:
    struct Consumer {
        QueueConsumer who;
        std::size_t prefetch = 0;   // 0 = no cap
        std::size_t in_flight = 0;  // delivered and not yet settled (counted with a cap only)
    };
    struct Queue {
        std::deque<protocol::MessagePtr> messages;
        std::vector<Consumer> consumers;
        std::size_t next = 0;   // round-robin cursor
        std::size_t bytes = 0;  // sum of the waiting bodies
        QueuePolicy policy;
        bool fanout = false;  // a user queue: every consumer gets every message
    };
    using Deliveries = std::vector<std::pair<QueueConsumer, protocol::MessagePtr>>;
    /// A message leaving its queue for the dead-letter queue.
    struct Dying {
        protocol::MessagePtr message;
        std::string dead_letter;  // the policy's name pattern ("{queue}.dlq"; "" = drop)
        std::string_view reason;
    };
    /// What one operation hands on once its stripe is unlocked.
    struct Outcome {
        Deliveries deliveries;
        std::vector<Dying> dying;
    };
    /// One lock's worth of queues, with its own copy of the rules (set_policies writes every
    /// copy), so nothing a SEND reads is shared by all stripes.
    struct alignas(64) Stripe {
        std::mutex mutex;
        std::unordered_map<std::string, Queue> queues;
        std::vector<QueueRule> rules;
        QueuePolicy defaults;

        const QueuePolicy& policy_for(const std::string& destination) const;
        /// A queue's own policy while it exists (it keeps the one it was created with).
        const QueuePolicy& existing_policy(const std::string& destination) const;
        Queue& queue(const std::string& destination);
    };

    Stripe& stripe_of(const std::string& destination);
    static bool enqueue_locked(Stripe& stripe, const protocol::MessagePtr& message, Outcome& out);
    static void push_front_locked(Stripe& stripe, const protocol::MessagePtr& message,
                                  Outcome& out);
    static void dispatch_locked(Queue& queue, Outcome& out);
    static void fan_out_locked(Queue& queue, Outcome& out);
    /// Dead-letters the head while it has expired; false when the queue is then empty.
    static bool drop_expired_head_locked(Queue& queue, std::int64_t& now, Outcome& out);
    static void dead_letter(protocol::MessagePtr message, const QueuePolicy& policy,
                            std::string_view reason, Outcome& out);
    /// Enqueues the dead letters (each under its own stripe's lock), then delivers.
    void finish(Outcome& out);

    DeliverFn deliver_;
    std::array<Stripe, kStripes> stripes_;
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> dead_lettered_{0};
};

}  // namespace stampede::broker
