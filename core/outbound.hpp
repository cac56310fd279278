// OutboundQueue: what one connection still has to send. Messages are held by reference (the
// body is shared with every other subscriber); the MESSAGE frame is encoded only when drained.
// Shard thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/local_message.hpp"
#include "core/subscription.hpp"
#include "protocol/frame.hpp"

namespace stampede::broker {

struct OutboundItem {
    LocalMessage message;               // empty: a control frame in `control`
    const Subscription* sub = nullptr;  // the delivery's subscription (message items)
    // A control item: the pre-encoded CONNECTED/RECEIPT/ERROR/heart-beat. A message item: null,
    // or the head to write instead of the subscription's (a replay, with x-replay:true).
    std::unique_ptr<std::string> control;
    std::uint64_t ack_id = 0;  // 0: no ack header
    std::size_t bytes = 0;
};

struct DrainResult {
    std::size_t bytes = 0;     // appended to the buffer
    bool binary = false;       // some frame in the batch is not valid UTF-8
    std::size_t messages = 0;  // MESSAGE frames among them
};

class OutboundQueue {
   public:
    OutboundQueue() = default;
    OutboundQueue(const OutboundQueue&) = delete;
    OutboundQueue& operator=(const OutboundQueue&) = delete;

    bool empty() const { return size_ == 0; }
    std::size_t pending_bytes() const { return pending_bytes_; }
    std::size_t size() const { return size_; }
    /// Slots allocated (tests: an emptied queue gives its memory back).
    std::size_t capacity() const { return capacity_; }

    void push_message(LocalMessage message, const Subscription* sub, std::uint64_t ack_id,
                      protocol::Version version);
    /// A room message replayed from history: its MESSAGE carries `x-replay:true`.
    void push_replay(LocalMessage message, const Subscription* sub, std::uint64_t ack_id,
                     protocol::Version version);
    void push_control(std::string frame);

    /// Encodes queued frames into `out` until about `max_bytes` were added. A batch holds only
    /// text frames or only binary ones, so a valid UTF-8 MESSAGE never travels as binary.
    DrainResult drain_into(std::string& out, std::size_t max_bytes, protocol::Version version);

    /// Removes the oldest message items until pending bytes are at most `limit`; each removed
    /// item is handed to `dropped`. Control frames are never dropped.
    std::size_t drop_oldest(std::size_t limit, const std::function<void(OutboundItem&)>& dropped);
    /// Removes every item of `sub`, handing each to `removed`.
    void remove_subscription(const Subscription* sub,
                             const std::function<void(OutboundItem&)>& removed);
    /// Removes every message item (control frames stay), handing each to `removed`.
    void remove_messages(const std::function<void(OutboundItem&)>& removed);

   private:
    // A ring of slots, a power of two long, allocated on the first push and released when it
    // empties (most connections are idle most of the time: they hold no queue memory).
    OutboundItem& at(std::size_t index) { return slots_[(head_ + index) & (capacity_ - 1)]; }
    void push(OutboundItem item);
    void pop_front();
    // Removes the items for which `remove` is true, handing each to `removed`; the others
    // keep their order.
    std::size_t remove_if(const std::function<bool(const OutboundItem&)>& remove,
                          const std::function<void(OutboundItem&)>& removed);
    void release_if_empty();

    std::unique_ptr<OutboundItem[]> slots_;
    std::size_t capacity_ = 0;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
    std::size_t pending_bytes_ = 0;
};

}  // namespace stampede::broker
