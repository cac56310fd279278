// Session: subscriptions (topic and queue), their removal, and ACK/NACK of queue deliveries.
// Shard thread only.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/publish.hpp"
#include "core/session.hpp"
#include "protocol/destination.hpp"
#include "protocol/writer.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {

using protocol::CloseReason;

namespace {

using protocol::Frame;
using protocol::Version;

std::uint64_t parse_u64(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() ? value : 0;
}

}  // namespace

void Session::release_subscriptions() {
    // Unsubscribe everything so neither the router nor the queues keep a dangling pointer,
    // and give unacknowledged queue messages back for another consumer.
    outbound_.remove_messages([this](OutboundItem& item) {
        if (item.sub->kind == protocol::DestinationKind::Queue && item.sub->ack == AckMode::Auto) {
            requeue(item.message.shared());
        } else if (item.sub->kind == protocol::DestinationKind::Queue && item.ack_id != 0) {
            unwritten_acks_.insert(item.ack_id);  // never reached the client: no redelivery
        }
    });
    while (!subscriptions_.empty()) {
        remove_subscription(*subscriptions_.begin()->second);
    }
}

void Session::handle_subscribe(const Frame& frame) {
    const auto destination = frame.header("destination");
    if (!destination) {
        return fail(CloseReason::MissingDestination, "SUBSCRIBE needs a destination", &frame);
    }
    auto id = frame.header("id");
    if (!id && version_ == Version::V1_0) {
        id = destination;  // STOMP 1.0: the destination names the subscription
    }
    if (!id) {
        return fail(CloseReason::MissingId, "SUBSCRIBE needs an id", &frame);
    }
    if (subscriptions_.contains(std::string(*id))) {
        return fail(CloseReason::DuplicateSubscriptionId,
                    fmt::format("subscription '{}' is already active", *id), &frame);
    }
    AckMode ack = AckMode::Auto;
    if (const auto mode = frame.header("ack"); mode && *mode != "auto") {
        if (*mode == "client") {
            ack = AckMode::Client;
        } else if (*mode == "client-individual") {
            ack = AckMode::ClientIndividual;
        } else {
            return fail(CloseReason::BadAckMode,
                        fmt::format("ack mode '{}' is not auto, client or "
                                    "client-individual",
                                    *mode),
                        &frame);
        }
    }
    // RabbitMQ's prefetch-count: at most N unacknowledged deliveries at once, on queues and
    // topics. Only client ack modes have unacknowledged deliveries; with auto it changes
    // nothing.
    std::size_t prefetch = 0;
    if (const auto text = frame.header("prefetch-count")) {
        prefetch = parse_u64(*text);
        if (prefetch == 0 && *text != "0") {
            return fail(CloseReason::BadPrefetchCount,
                        fmt::format("prefetch-count '{}' is not a non-negative integer", *text),
                        &frame);
        }
    }
    const auto& config = host_.config();
    if (subscriptions_.size() + replies_.size() >= config.limits.max_subscriptions_per_connection) {
        return fail(CloseReason::TooManySubscriptions,
                    fmt::format("a connection may hold {} subscriptions",
                                config.limits.max_subscriptions_per_connection),
                    &frame);
    }
    if (subscribe_special(frame, *destination, *id, ack)) {
        return;
    }
    const auto where = protocol::classify(*destination, config.destinations.topic_prefixes,
                                          config.destinations.queue_prefixes);
    if (where.kind == protocol::DestinationKind::Unknown) {
        return fail(CloseReason::UnknownDestinationPrefix,
                    fmt::format("'{}' has no configured topic or queue prefix", *destination),
                    &frame);
    }
    if (!allowed(auth::AclAction::Subscribe, *destination)) {
        return fail(CloseReason::AccessDenied,
                    fmt::format("subscribing to {} is not allowed", *destination), &frame);
    }
    auto sub = std::make_unique<Subscription>();
    sub->session = this;
    sub->id = std::string(*id);
    sub->message_head = protocol::message_head(sub->id, version_);
    sub->destination = std::string(*destination);
    sub->kind = where.kind;
    sub->name = std::string(where.name);
    sub->ack = ack;
    if (where.kind == protocol::DestinationKind::Topic && ack != AckMode::Auto) {
        sub->prefetch = prefetch;
    }
    sub->wildcard =
        where.kind == protocol::DestinationKind::Topic && protocol::is_pattern(where.name);
    Subscription* raw = sub.get();
    subscriptions_.emplace(raw->id, std::move(sub));
    if (raw->kind == protocol::DestinationKind::Topic) {
        host_.add_topic_subscription(raw);
        // Wildcard subscriptions get live room messages only (no replay, no room receipt).
        const rooms::RoomRule* room = !raw->wildcard && host_.rooms().has_rooms()
                                          ? host_.rooms().rule_for(raw->destination)
                                          : nullptr;
        if (room != nullptr) {
            // The enter comes after the RECEIPT: the subscriber sees its own enter live.
            const bool subscribed = subscribe_to_room(*raw, frame, *room);
            if (subscribed) {
                join_room(raw->destination);
            }
            if (subscribed && room->presence.enabled) {
                raw->in_presence = true;
                change_presence(raw->destination, *room, true);
            }
            return;
        }
        const auto receipt = frame.header("receipt");
        if (!receipt || !host_.defer_subscribe_receipt(*raw, *receipt)) {
            send_receipt(frame);
        }
    } else {
        send_receipt(frame);  // before the backlog, so the client knows it is subscribed
        host_.queues().add_consumer(raw->destination, {host_.shard_index(), id_, raw->id},
                                    raw->ack == AckMode::Auto ? 0 : prefetch);
    }
}

void Session::handle_unsubscribe(const Frame& frame) {
    auto id = frame.header("id");
    if (!id && version_ == Version::V1_0) {
        id = frame.header("destination");
    }
    if (!id) {
        return fail(CloseReason::MissingId, "UNSUBSCRIBE needs an id", &frame);
    }
    if (const auto it = subscriptions_.find(std::string(*id)); it != subscriptions_.end()) {
        remove_subscription(*it->second);
    }
    send_receipt(frame);
}

void Session::remove_subscription(Subscription& sub) {
    const bool is_queue = sub.kind == protocol::DestinationKind::Queue;
    if (is_queue) {
        host_.queues().remove_consumer(sub.destination, {host_.shard_index(), id_, sub.id});
        if (sub.own_user_queue) {
            host_.watch_user_queue(sub, false, {});
        }
    } else if (sub.unread_watch) {
        host_.publisher().unread().remove(&sub);
    } else if (sub.token_watch) {
        --token_watchers_;  // the session's own: indexed nowhere else
    } else {
        host_.remove_topic_subscription(&sub);
    }
    // Messages not yet written: queue ones go back for another consumer (client-acked ones
    // are in pending_acks_ and go back below), topic ones are simply not sent.
    outbound_.remove_subscription(&sub, [&](OutboundItem& item) {
        if (is_queue && sub.ack == AckMode::Auto) {
            requeue(item.message.shared());
        } else if (is_queue && item.ack_id != 0) {
            unwritten_acks_.insert(item.ack_id);
        }
    });
    // Client-acked ones the client may have seen come back as redeliveries (counted, and
    // dead-lettered past max_redeliveries); those still in the outbound queue never left, so
    // they come back as they were.
    std::vector<std::pair<protocol::MessagePtr, bool>> unacked;  // message, seen by the client
    for (auto it = pending_acks_.begin(); it != pending_acks_.end();) {
        if (it->second.sub == &sub) {
            const bool seen = unwritten_acks_.erase(it->first) == 0;
            unacked.emplace_back(std::move(it->second.message), seen);
            it = pending_acks_.erase(it);
        } else {
            ++it;
        }
    }
    // Back to the head in reverse, so the queue keeps their original order.
    for (auto it = unacked.rbegin(); it != unacked.rend(); ++it) {
        if (it->second) {
            host_.queues().redeliver(it->first);
        } else {
            requeue(it->first);
        }
    }
    std::string left_room;
    if (sub.in_presence) {
        left_room = sub.destination;
    }
    subscriptions_.erase(sub.id);
    // Every way a subscription ends comes here (UNSUBSCRIBE, DISCONNECT, a dropped
    // connection, a heart-beat timeout, an ERROR): the leave is sent once it is gone, so the
    // notice does not reach the subscription that left.
    if (!left_room.empty()) {
        if (const rooms::RoomRule* rule = host_.rooms().rule_for(left_room)) {
            change_presence(left_room, *rule, false);
        }
    }
}

void Session::requeue(const protocol::MessagePtr& message) { host_.queues().requeue(message); }

void Session::settle(const Subscription& sub, std::size_t deliveries) {
    if (deliveries > 0) {
        host_.queues().settle(sub.destination, {host_.shard_index(), id_, sub.id}, deliveries);
    }
}

void Session::handle_ack(const Frame& frame, bool positive) {
    const auto id = version_ == Version::V1_2 ? frame.header("id") : frame.header("message-id");
    if (!id) {
        return fail(CloseReason::MissingId,
                    version_ == Version::V1_2 ? "ACK and NACK need an id"
                                              : "ACK and NACK need a message-id",
                    &frame);
    }
    if (hold_in_transaction(frame)) {
        return;
    }
    // The id decides (docs/protocol.md, "Acknowledgements"): the ack id in 1.2, the
    // message-id before; a 1.1 `subscription` header only picks among deliveries of one
    // message to several subscriptions of this connection.
    auto found = pending_acks_.end();
    if (version_ == Version::V1_2) {
        found = pending_acks_.find(parse_u64(*id));
    } else {
        const auto sub_id = frame.header("subscription");
        for (auto it = pending_acks_.begin(); it != pending_acks_.end(); ++it) {
            if (it->second.message->id != *id) {
                continue;
            }
            if (found == pending_acks_.end()) {
                found = it;
            }
            if (sub_id && it->second.sub->id == *sub_id) {
                found = it;
                break;
            }
        }
    }
    if (found == pending_acks_.end()) {
        if (settle_topic_delivery(*id, frame.header("subscription"))) {
            return send_receipt(frame);  // a capped topic delivery: room for the next
        }
        if (acknowledges_topic_delivery(*id)) {
            return send_receipt(frame);  // a topic delivery: nothing to give back
        }
        return fail(CloseReason::UnknownMessageId,
                    fmt::format("no delivery with {} '{}' waits for an {} on this connection",
                                version_ == Version::V1_2 ? "id" : "message-id", *id,
                                positive ? "ACK" : "NACK"),
                    &frame);
    }
    Subscription* sub = found->second.sub;
    // `client` mode acknowledges cumulatively: every earlier delivery of that subscription.
    auto first = sub->ack == AckMode::Client ? pending_acks_.begin() : found;
    const auto last = std::next(found);  // computed before erasing `found`
    std::vector<protocol::MessagePtr> nacked;
    std::size_t settled = 0;
    for (auto it = first; it != last;) {
        if (it->second.sub != sub) {
            ++it;
            continue;
        }
        if (!positive) {
            nacked.push_back(std::move(it->second.message));
        }
        it = pending_acks_.erase(it);
        ++settled;
    }
    // NACK requeues (RabbitMQ's `requeue:false` dead-letters at once, reason `rejected`).
    const bool requeue_nacked = frame.header("requeue") != std::optional<std::string_view>("false");
    for (auto it = nacked.rbegin(); it != nacked.rend(); ++it) {
        if (requeue_nacked) {
            host_.queues().redeliver(*it);
        } else {
            host_.queues().reject(*it);
        }
    }
    settle(*sub, settled);
    send_receipt(frame);
}

bool Session::acknowledges_topic_delivery(std::string_view id) const {
    // Topic deliveries under client ack are not kept (nothing to give back): an id this
    // connection was given (1.2), or any message-id while a client-ack topic subscription
    // exists (1.0/1.1, where the id is the message's own), is one of them.
    if (version_ == Version::V1_2) {
        const std::uint64_t ack_id = parse_u64(id);
        return ack_id != 0 && (ack_id & 1) == 0 && (ack_id >> 1) < next_topic_ack_;
    }
    return std::any_of(subscriptions_.begin(), subscriptions_.end(), [](const auto& entry) {
        return (entry.second->kind == protocol::DestinationKind::Topic ||
                entry.second->own_user_queue) &&
               entry.second->ack != AckMode::Auto;
    });
}

}  // namespace stampede::broker
