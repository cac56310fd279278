// OutboundQueue: batching encoder for one connection. Shard thread only.
#include "core/outbound.hpp"

#include <charconv>

#include "protocol/writer.hpp"

namespace stampede::broker {
namespace {

constexpr std::size_t kFirstCapacity = 8;
// An emptied queue keeps its slots up to this many (a connection that is sent to all the
// time would otherwise allocate on every turn); a bigger one, from a burst, is given back.
constexpr std::size_t kKeptCapacity = 8;

// Formats an ack id without allocating.
std::string_view format_ack(std::uint64_t ack_id, char (&buffer)[24]) {
    if (ack_id == 0) {
        return {};
    }
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, ack_id).ptr;
    return {buffer, static_cast<std::size_t>(end - buffer)};
}

}  // namespace

void OutboundQueue::push(OutboundItem item) {
    if (size_ == capacity_) {
        const std::size_t grown = capacity_ == 0 ? kFirstCapacity : capacity_ * 2;
        auto slots = std::make_unique<OutboundItem[]>(grown);
        for (std::size_t i = 0; i < size_; ++i) {
            slots[i] = std::move(at(i));
        }
        slots_ = std::move(slots);
        capacity_ = grown;
        head_ = 0;
    }
    pending_bytes_ += item.bytes;
    at(size_) = std::move(item);
    ++size_;
}

void OutboundQueue::pop_front() {
    OutboundItem& item = at(0);
    pending_bytes_ -= item.bytes;
    item = OutboundItem{};  // drops the message reference now, not when the slot is reused
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
}

void OutboundQueue::release_if_empty() {
    if (size_ == 0 && capacity_ > kKeptCapacity) {
        slots_.reset();
        capacity_ = 0;
        head_ = 0;
    }
}

void OutboundQueue::push_message(LocalMessage message, const Subscription* sub,
                                 std::uint64_t ack_id, protocol::Version version) {
    char ack_buffer[24];
    const std::size_t bytes = protocol::message_frame_size(sub->message_head, *message,
                                                           format_ack(ack_id, ack_buffer), version);
    push(OutboundItem{std::move(message), sub, nullptr, ack_id, bytes});
}

void OutboundQueue::push_replay(LocalMessage message, const Subscription* sub, std::uint64_t ack_id,
                                protocol::Version version) {
    auto head = std::make_unique<std::string>(sub->message_head);
    head->append("x-replay:true\n");
    char ack_buffer[24];
    const std::size_t bytes =
        protocol::message_frame_size(*head, *message, format_ack(ack_id, ack_buffer), version);
    push(OutboundItem{std::move(message), sub, std::move(head), ack_id, bytes});
}

void OutboundQueue::push_control(std::string frame) {
    const std::size_t bytes = frame.size();
    push(OutboundItem{{}, nullptr, std::make_unique<std::string>(std::move(frame)), 0, bytes});
}

DrainResult OutboundQueue::drain_into(std::string& out, std::size_t max_bytes,
                                      protocol::Version version) {
    DrainResult result;
    const std::size_t start = out.size();
    bool first = true;
    while (size_ > 0 && out.size() - start < max_bytes) {
        OutboundItem& item = at(0);
        const bool binary = item.message && !item.message->body_is_utf8;
        if (first) {
            result.binary = binary;
            first = false;
        } else if (binary != result.binary) {
            break;  // the next write carries the other kind
        }
        if (item.message) {
            char ack_buffer[24];
            const std::string& head = item.control ? *item.control : item.sub->message_head;
            protocol::append_message(out, head, *item.message, format_ack(item.ack_id, ack_buffer),
                                     version);
            ++result.messages;
        } else {
            out += *item.control;
        }
        pop_front();
    }
    release_if_empty();
    result.bytes = out.size() - start;
    return result;
}

std::size_t OutboundQueue::remove_if(const std::function<bool(const OutboundItem&)>& remove,
                                     const std::function<void(OutboundItem&)>& removed) {
    std::size_t kept = 0;
    std::size_t count = 0;
    for (std::size_t i = 0; i < size_; ++i) {
        OutboundItem& item = at(i);
        if (remove(item)) {
            pending_bytes_ -= item.bytes;
            removed(item);
            item = OutboundItem{};
            ++count;
        } else {
            if (kept != i) {
                at(kept) = std::move(item);
            }
            ++kept;
        }
    }
    size_ = kept;
    release_if_empty();
    return count;
}

std::size_t OutboundQueue::drop_oldest(std::size_t limit,
                                       const std::function<void(OutboundItem&)>& dropped) {
    // Message items from the front while over the limit; control frames always stay.
    std::size_t excess = pending_bytes_ > limit ? pending_bytes_ - limit : 0;
    return remove_if(
        [&excess](const OutboundItem& item) {
            if (excess == 0 || !item.message) {
                return false;
            }
            excess -= std::min(excess, item.bytes);
            return true;
        },
        dropped);
}

void OutboundQueue::remove_subscription(const Subscription* sub,
                                        const std::function<void(OutboundItem&)>& removed) {
    remove_if([sub](const OutboundItem& item) { return item.sub == sub; }, removed);
}

void OutboundQueue::remove_messages(const std::function<void(OutboundItem&)>& removed) {
    remove_if([](const OutboundItem& item) { return static_cast<bool>(item.message); }, removed);
}

}  // namespace stampede::broker
