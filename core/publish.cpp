// See publish.hpp.
#include "core/publish.hpp"

#include <fmt/format.h>

#include "core/local_message.hpp"
#include "core/reply_queues.hpp"
#include "core/security.hpp"
#include "core/shard_services.hpp"
#include "core/subscriber.hpp"
#include "core/user_destinations.hpp"
#include "protocol/destination.hpp"
#include "queues/queue_manager.hpp"

namespace stampede::broker {

protocol::CloseReason close_reason(PublishError error) {
    using protocol::CloseReason;
    switch (error) {
        case PublishError::None:  // not an error: callers check first
        case PublishError::UnknownPrefix:
        case PublishError::NotATopic:
            return CloseReason::UnknownDestinationPrefix;
        case PublishError::AccessDenied:
            return CloseReason::AccessDenied;
        case PublishError::QueueFull:
            return CloseReason::QueueFull;
        case PublishError::BadDestination:
            return CloseReason::BadDestination;
    }
    return CloseReason::UnknownDestinationPrefix;
}

PublishResult Publisher::check(const PublishRequest& request) const {
    // Destinations the broker names itself: user queues and temporary reply queues.
    if (auto special = check_user_send(shard_, request)) {
        return *special;
    }
    if (auto special = check_reply_send(request)) {
        return *special;
    }
    const auto& destinations = shard_.config().destinations;
    const auto where = protocol::classify(request.destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    PublishResult result;
    if (where.kind == protocol::DestinationKind::Unknown) {
        result.error = PublishError::UnknownPrefix;
        result.detail =
            fmt::format("'{}' has no configured topic or queue prefix", request.destination);
        return result;
    }
    if (request.source == PublishSource::Backend) {
        // A queue message published this way would be taken once by every node.
        if (where.kind != protocol::DestinationKind::Topic) {
            result.error = PublishError::NotATopic;
            result.detail = fmt::format("'{}' is not a topic", request.destination);
        }
        return result;
    }
    if (request.sender == nullptr ||
        shard_.security().acl->decide(*request.sender, auth::AclAction::Send,
                                      request.destination) != auth::AclDecision::Allow) {
        result.error = PublishError::AccessDenied;
        result.detail = fmt::format("sending to {} is not allowed", request.destination);
    }
    return result;
}

PublishResult Publisher::publish(PublishRequest& request) {
    PublishResult result = check(request);
    if (result.error != PublishError::None) {
        return result;
    }
    // x-sender is stamped here and only here (Message::make drops any the client sent), so
    // receivers can trust it; anonymous senders and backends get none.
    std::string sender;
    if (request.sender != nullptr && !request.sender->anonymous) {
        sender = request.sender->name;
    }
    std::string id = shard_.make_message_id();
    std::string node = shard_.node_id();
    // A user queue is made under its internal name, a reply under /temp-queue/NAME; a
    // reply-to:/temp-queue/NAME is rewritten to the sender's reply queue (reply_queues.hpp).
    const auto user_queue = user_send_queue(request.destination);
    const auto reply = parse_reply_queue(request.destination);
    const std::string target = user_queue ? *user_queue
                               : reply    ? reply->temp_destination()
                                          : std::string(request.destination);
    std::vector<protocol::Header> rewritten;
    std::string reply_to;
    const auto* frame_headers = rewrite_reply_to(request, rewritten, reply_to);
    result.message =
        frame_headers != nullptr
            ? protocol::Message::make(target, std::move(id), std::move(node), std::move(sender),
                                      *frame_headers, request.frame_body)
            : protocol::Message::make(target, std::move(id), std::move(node), std::move(sender),
                                      std::move(request.headers), std::move(request.body));
    const protocol::MessagePtr& message = result.message;
    shard_.count_message_in();
    if (reply) {
        deliver_reply(shard_, *reply, message);
        return result;
    }
    const auto& destinations = shard_.config().destinations;
    const auto where = protocol::classify(message->destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    if (where.kind == protocol::DestinationKind::Queue || user_queue) {
        if (!shard_.queues().enqueue(message)) {
            result.error = PublishError::QueueFull;
            result.detail =
                fmt::format("'{}' holds its max_messages or max_bytes", message->destination);
        }
        return result;
    }
    deliver_here(message, where.prefix, where.name);
    if (request.source != PublishSource::Backend) {
        shard_.relay(message);
    }
    shard_.post_to_other_shards(message, where.prefix.size());
    return result;
}

void Publisher::deliver_from_shard(const protocol::MessagePtr& message, std::size_t prefix_length) {
    const std::string_view destination = message->destination;
    deliver_here(message, destination.substr(0, prefix_length), destination.substr(prefix_length));
}

void Publisher::deliver_here(const protocol::MessagePtr& message, std::string_view prefix,
                             std::string_view name) {
    matches_.clear();
    router_.match(prefix, name, matches_);
    if (matches_.empty()) {
        return;
    }
    const LocalMessage local(message);  // one shared reference for every delivery here
    for (Subscription* sub : matches_) {
        sub->session->deliver_topic(local, *sub);
    }
}

void Publisher::deliver_relayed(const protocol::MessagePtr& message, const std::string& glob) {
    const auto& destinations = shard_.config().destinations;
    const auto where = protocol::classify(message->destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    if (where.kind != protocol::DestinationKind::Topic) {
        return;
    }
    matches_.clear();
    router_.match(where.prefix, where.name, matches_);
    if (matches_.empty()) {
        return;
    }
    const LocalMessage local(message);
    for (Subscription* sub : matches_) {
        // A relayed message arrives once per Redis channel or glob the node listens on;
        // each copy is for the subscriptions of that channel or glob only.
        const bool mine = glob.empty() ? !sub->wildcard : sub->wildcard && sub->relay_key == glob;
        if (mine) {
            sub->session->deliver_topic(local, *sub);
        }
    }
}

}  // namespace stampede::broker
