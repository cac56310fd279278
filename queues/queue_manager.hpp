// QueueManager: the node's in-memory /queue/ destinations, shared by every shard. Each message
// goes to one consumer, round robin; messages wait (bounded) while nobody consumes.
// Any thread: one mutex guards the queues; deliveries are handed out after it is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/message.hpp"

namespace stampede::broker {

/// Names a consumer anywhere on the node: its shard, its session and its subscription id.
struct QueueConsumer {
    unsigned shard = 0;
    std::uint64_t session_id = 0;
    std::string subscription_id;
    bool operator==(const QueueConsumer&) const = default;
};

class QueueManager {
   public:
    /// Called once per dispatched message, outside the lock, on the thread that dispatched.
    using DeliverFn = std::function<void(const QueueConsumer&, const protocol::MessagePtr&)>;

    explicit QueueManager(DeliverFn deliver) : deliver_(std::move(deliver)) {}

    void set_max_messages(std::size_t max_messages);

    /// Appends and dispatches; false when the queue already holds max_messages.
    bool enqueue(const protocol::MessagePtr& message);
    /// Puts a message back at the head (NACK, unsubscribe, disconnect); never refused.
    void requeue(const protocol::MessagePtr& message);
    /// `prefetch`: at most this many of its deliveries unsettled at once (SUBSCRIBE's
    /// prefetch-count, client ack modes); 0 = no cap. The session settles them (settle()).
    void add_consumer(const std::string& destination, QueueConsumer consumer,
                      std::size_t prefetch = 0);
    void remove_consumer(const std::string& destination, const QueueConsumer& consumer);
    /// `count` deliveries to `consumer` were acknowledged or given back: it may take more.
    void settle(const std::string& destination, const QueueConsumer& consumer, std::size_t count);

    /// Messages waiting in `destination` (tests, metrics).
    std::size_t depth(const std::string& destination);

   private:
    struct Consumer {
        QueueConsumer who;
        std::size_t prefetch = 0;   // 0 = no cap
        std::size_t in_flight = 0;  // delivered and not yet settled (counted with a cap only)
    };
    struct Queue {
        std::deque<protocol::MessagePtr> messages;
        std::vector<Consumer> consumers;
        std::size_t next = 0;  // round-robin cursor
    };
    using Deliveries = std::vector<std::pair<QueueConsumer, protocol::MessagePtr>>;

    static void dispatch_locked(Queue& queue, Deliveries& out);
    void deliver_all(const Deliveries& deliveries);

    DeliverFn deliver_;
    std::mutex mutex_;
    std::unordered_map<std::string, Queue> queues_;
    std::size_t max_messages_ = 100000;
};

}  // namespace stampede::broker
