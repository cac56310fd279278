// OutboundQueue: batching encoder for one connection. Shard thread only.
#include "broker/outbound.hpp"

#include <fmt/format.h>

#include "protocol/writer.hpp"

namespace stampede::broker {
namespace {

// Formats an ack id without allocating.
std::string_view format_ack(std::uint64_t ack_id, char (&buffer)[24]) {
    if (ack_id == 0) {
        return {};
    }
    const auto end = fmt::format_to_n(buffer, sizeof buffer, "{}", ack_id).out;
    return {buffer, static_cast<std::size_t>(end - buffer)};
}

}  // namespace

void OutboundQueue::push_message(protocol::MessagePtr message, const Subscription* sub,
                                 std::uint64_t ack_id, protocol::Version version) {
    char ack_buffer[24];
    const std::size_t bytes =
        protocol::message_frame_size(*message, sub->id, format_ack(ack_id, ack_buffer), version);
    pending_bytes_ += bytes;
    items_.push_back(OutboundItem{std::move(message), sub, ack_id, {}, bytes});
}

void OutboundQueue::push_control(std::string frame) {
    const std::size_t bytes = frame.size();
    pending_bytes_ += bytes;
    items_.push_back(OutboundItem{nullptr, nullptr, 0, std::move(frame), bytes});
}

DrainResult OutboundQueue::drain_into(std::string& out, std::size_t max_bytes,
                                      protocol::Version version) {
    DrainResult result;
    const std::size_t start = out.size();
    bool first = true;
    while (!items_.empty() && out.size() - start < max_bytes) {
        OutboundItem& item = items_.front();
        const bool binary = item.message && !item.message->body_is_utf8;
        if (first) {
            result.binary = binary;
            first = false;
        } else if (binary != result.binary) {
            break;  // the next write carries the other kind
        }
        if (item.message) {
            char ack_buffer[24];
            protocol::append_message(out, *item.message, item.sub->id,
                                     format_ack(item.ack_id, ack_buffer), version);
            ++result.messages;
        } else {
            out += item.control;
        }
        pending_bytes_ -= item.bytes;
        items_.pop_front();
    }
    result.bytes = out.size() - start;
    return result;
}

std::size_t OutboundQueue::drop_oldest(std::size_t limit,
                                       const std::function<void(OutboundItem&)>& dropped) {
    std::size_t count = 0;
    for (auto it = items_.begin(); it != items_.end() && pending_bytes_ > limit;) {
        if (!it->message) {
            ++it;
            continue;
        }
        pending_bytes_ -= it->bytes;
        dropped(*it);
        it = items_.erase(it);
        ++count;
    }
    return count;
}

void OutboundQueue::remove_subscription(const Subscription* sub,
                                        const std::function<void(OutboundItem&)>& removed) {
    for (auto it = items_.begin(); it != items_.end();) {
        if (it->sub != sub) {
            ++it;
            continue;
        }
        pending_bytes_ -= it->bytes;
        removed(*it);
        it = items_.erase(it);
    }
}

void OutboundQueue::remove_messages(const std::function<void(OutboundItem&)>& removed) {
    for (auto it = items_.begin(); it != items_.end();) {
        if (!it->message) {
            ++it;
            continue;
        }
        pending_bytes_ -= it->bytes;
        removed(*it);
        it = items_.erase(it);
    }
}

}  // namespace stampede::broker
