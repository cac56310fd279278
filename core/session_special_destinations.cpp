// Session: the destinations the broker names itself. Temporary reply queues (a SEND's
// reply-to:/temp-queue/NAME, replies delivered by deliver_reply; reply_queues.hpp), user
// queues (SUBSCRIBE /user/queue/NAME; user_destinations.hpp) and the reserved /stampede/
// ones (session_presence.cpp). Shard thread only.
#include <fmt/format.h>

#include "core/local_message.hpp"
#include "core/presence_notices.hpp"
#include "core/reply_queues.hpp"
#include "core/session.hpp"
#include "core/unread_watchers.hpp"
#include "core/user_destinations.hpp"
#include "protocol/user_destination.hpp"
#include "protocol/writer.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {

using protocol::CloseReason;
using protocol::Frame;

bool Session::open_temp_queue(const Frame& frame) {
    const auto reply_to = frame.header("reply-to");
    const auto name = reply_to ? temp_queue_name(*reply_to) : std::nullopt;
    if (!name) {
        return true;
    }
    if (name->empty()) {
        fail(CloseReason::BadDestination, "reply-to:/temp-queue/ needs a name", &frame);
        return false;
    }
    if (replies_.contains(*name)) {
        return true;
    }
    // Each temporary queue is an implicit subscription of the connection.
    const std::size_t limit = host_.config().limits.max_subscriptions_per_connection;
    if (subscriptions_.size() + replies_.size() >= limit) {
        fail(CloseReason::TooManySubscriptions,
             fmt::format("a connection may hold {} subscriptions (temporary queues count)", limit),
             &frame);
        return false;
    }
    replies_.open(*name, this, version_);
    return true;
}

void Session::deliver_reply(const protocol::MessagePtr& message, std::string_view name) {
    const Subscription* sub = replies_.find(name);
    if (sub == nullptr || state_ != State::Connected) {
        return;  // never opened here, or closing: dropped like a reply to a session gone
    }
    push_message(LocalMessage(message), *sub, 0);
}

bool Session::subscribe_special(const Frame& frame, std::string_view destination,
                                std::string_view id, AckMode ack) {
    if (destination == kUnreadDestination) {
        subscribe_unread(frame, id, ack);
        return true;
    }
    if (destination == kTokenDestination) {
        subscribe_token(frame, id, ack);
        return true;
    }
    if (destination.starts_with(kBrokerPrefix)) {
        subscribe_broker_destination(frame, destination, id, ack);
        return true;
    }
    if (const auto name = temp_queue_name(destination)) {
        // RabbitMQ's temporary queue: replies arrive whether or not it is subscribed to; the
        // SUBSCRIBE opens NAME (as a reply-to would) and is otherwise a no-op: its id is not
        // kept and replies carry subscription:/temp-queue/NAME.
        if (name->empty()) {
            fail(CloseReason::BadDestination, "/temp-queue/ needs a name", &frame);
            return true;
        }
        if (!replies_.contains(*name)) {
            replies_.open(*name, this, version_);
        }
        send_receipt(frame);
        return true;
    }
    if (destination.starts_with(protocol::kReplyQueuePrefix)) {
        fail(CloseReason::BadDestination,
             fmt::format("'{}': a reply queue is received by its owner without a SUBSCRIBE "
                         "(subscribe to /temp-queue/NAME if you must)",
                         destination),
             &frame);
        return true;
    }
    auto user = resolve_user_subscription(principal_, destination);
    if (!user) {
        return false;
    }
    if (user->error) {
        fail(*user->error, user->detail, &frame);
        return true;
    }
    auto sub = std::make_unique<Subscription>();
    sub->session = this;
    sub->id = std::string(id);
    sub->message_head = protocol::message_head(sub->id, version_);
    sub->destination = std::move(user->queue);
    sub->kind = protocol::DestinationKind::Queue;
    sub->name = std::string(destination.substr(protocol::kOwnUserQueuePrefix.size()));
    sub->ack = ack;
    sub->own_user_queue = true;
    Subscription* raw = sub.get();
    subscriptions_.emplace(raw->id, std::move(sub));
    // On one node the RECEIPT goes before the backlog, so the client knows it is subscribed;
    // on a cluster once the node listens and has taken what waited in Redis.
    const auto receipt = frame.header("receipt");
    if (!host_.watch_user_queue(*raw, true, receipt.value_or(std::string_view()))) {
        send_receipt(frame);
    }
    host_.queues().add_consumer(raw->destination, {host_.shard_index(), id_, raw->id}, 0);
    return true;
}

}  // namespace stampede::broker
