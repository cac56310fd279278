// OutboundQueue: what one connection still has to send. Messages are held by reference (the
// body is shared with every other subscriber); the MESSAGE frame is encoded only when drained.
// Shard thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "broker/subscription.hpp"
#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace stampede::broker {

struct OutboundItem {
    protocol::MessagePtr message;       // null: a control frame in `control`
    const Subscription* sub = nullptr;  // the delivery's subscription (message items)
    std::uint64_t ack_id = 0;           // 0: no ack header
    std::string control;                // pre-encoded CONNECTED/RECEIPT/ERROR/heart-beat
    std::size_t bytes = 0;
};

struct DrainResult {
    std::size_t bytes = 0;     // appended to the buffer
    bool binary = false;       // some frame in the batch is not valid UTF-8
    std::size_t messages = 0;  // MESSAGE frames among them
};

class OutboundQueue {
   public:
    bool empty() const { return items_.empty(); }
    std::size_t pending_bytes() const { return pending_bytes_; }
    std::size_t size() const { return items_.size(); }

    void push_message(protocol::MessagePtr message, const Subscription* sub, std::uint64_t ack_id,
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
    std::deque<OutboundItem> items_;
    std::size_t pending_bytes_ = 0;
};

}  // namespace stampede::broker
