// Session: prefetch-count on topic subscriptions with a client ack mode (RabbitMQ's header,
// which its clients send for topics too). A topic keeps nothing to give back, so ACK and NACK
// only make room: at most `prefetch` deliveries are unacknowledged, and what the topic
// carries meanwhile waits in the subscription, in order, bounded with the connection's
// pending bytes (past them `limits.slow_consumer` decides, as for the outbound queue).
// Shard thread only.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/session.hpp"

namespace stampede::broker {

using protocol::CloseReason;

namespace {

// What a waiting message counts: its body and about its MESSAGE headers.
constexpr std::size_t kHeadBytes = 64;

}  // namespace

void Session::deliver_capped(const LocalMessage& message, const Subscription& sub) {
    // Behind earlier waiting ones even when there is room, so the order holds.
    if (sub.unacked.size() >= sub.prefetch || !sub.waiting.empty()) {
        return wait_for_ack(message, sub);
    }
    const std::uint64_t ack_id = next_ack_id(false);
    // Before 1.2 the client names the delivery by its message-id.
    sub.unacked.emplace_back(ack_id,
                             version_ == protocol::Version::V1_2 ? std::string() : message->id);
    push_message(message, sub, ack_id);
}

void Session::wait_for_ack(const LocalMessage& message, const Subscription& sub) {
    const auto& limits = host_.config().limits;
    sub.waiting.push_back(message);
    sub.waiting_bytes += message->body.size() + kHeadBytes;
    while (sub.waiting_bytes + outbound_.pending_bytes() >
               limits.max_pending_bytes_per_connection &&
           !sub.waiting.empty()) {
        if (limits.slow_consumer != config::SlowConsumerPolicy::DropOldest) {
            return fail(CloseReason::SlowConsumer,
                        fmt::format("more than max_pending_bytes_per_connection ({}) bytes "
                                    "waited for acknowledgements in {} (prefetch-count {})",
                                    limits.max_pending_bytes_per_connection, sub.destination,
                                    sub.prefetch));
        }
        sub.waiting_bytes -= sub.waiting.front()->body.size() + kHeadBytes;
        sub.waiting.pop_front();
        host_.count_dropped(1);
    }
}

bool Session::settle_topic_delivery(std::string_view id,
                                    std::optional<std::string_view> subscription) {
    const bool by_ack_id = version_ == protocol::Version::V1_2;
    std::uint64_t ack_id = 0;
    if (by_ack_id) {
        const auto [end, error] = std::from_chars(id.data(), id.data() + id.size(), ack_id);
        if (error != std::errc{} || end != id.data() + id.size()) {
            return false;
        }
    }
    const auto names = [&](const std::pair<std::uint64_t, std::string>& delivery) {
        return by_ack_id ? delivery.first == ack_id : delivery.second == id;
    };
    // 1.0/1.1: a `subscription` header picks among subscriptions given the same message;
    // the id decides when it names none of them (docs/protocol.md, "Acknowledgements").
    Subscription* found = nullptr;
    auto at = std::deque<std::pair<std::uint64_t, std::string>>::iterator{};
    for (auto& [key, sub] : subscriptions_) {
        if (sub->prefetch == 0) {
            continue;
        }
        const auto it = std::find_if(sub->unacked.begin(), sub->unacked.end(), names);
        if (it == sub->unacked.end()) {
            continue;
        }
        if (found == nullptr || (subscription && sub->id == *subscription)) {
            found = sub.get();
            at = it;
        }
    }
    if (found == nullptr) {
        return false;
    }
    // `client` acknowledges cumulatively: every earlier delivery of that subscription.
    found->unacked.erase(found->ack == AckMode::Client ? found->unacked.begin() : at,
                         std::next(at));
    release_waiting(*found);
    return true;
}

void Session::release_waiting(const Subscription& sub) {
    while (!sub.waiting.empty() && sub.unacked.size() < sub.prefetch) {
        const LocalMessage message = std::move(sub.waiting.front());
        sub.waiting.pop_front();
        sub.waiting_bytes -= message->body.size() + kHeadBytes;
        const std::uint64_t ack_id = next_ack_id(false);
        sub.unacked.emplace_back(ack_id,
                                 version_ == protocol::Version::V1_2 ? std::string() : message->id);
        push_message(message, sub, ack_id);
    }
}

}  // namespace stampede::broker
