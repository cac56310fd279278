// See publish.hpp.
#include "core/publish.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/local_message.hpp"
#include "core/presence_notices.hpp"
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
        case PublishError::StorageUnavailable:
            return CloseReason::StorageUnavailable;
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
            request.destination.starts_with(kBrokerPrefix)
                ? fmt::format(
                      "'{}': {} is reserved for the broker's own destinations, and "
                      "this is not one that can be sent to",
                      request.destination, kBrokerPrefix)
                : fmt::format("'{}' has no configured topic or queue prefix", request.destination);
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

protocol::MessagePtr Publisher::make(PublishRequest& request, std::string_view target,
                                     const protocol::RoomStamp* room) {
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
    std::vector<protocol::Header> rewritten;
    std::string reply_to;
    const auto* frame_headers = rewrite_reply_to(request, rewritten, reply_to);
    return frame_headers != nullptr
               ? protocol::Message::make(target, std::move(id), std::move(node), std::move(sender),
                                         *frame_headers, request.frame_body, room)
               : protocol::Message::make(target, std::move(id), std::move(node), std::move(sender),
                                         std::move(request.headers), std::move(request.body), room);
}

namespace {

std::int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// `x-ephemeral:true` (typing indicators): delivered live only, never numbered or kept.
bool is_ephemeral(const PublishRequest& request) {
    if (request.frame_headers != nullptr) {
        for (const protocol::Header& header : *request.frame_headers) {
            if (header.name == "x-ephemeral") {
                return header.value == "true";
            }
        }
        return false;
    }
    for (const auto& [name, value] : request.headers) {
        if (name == "x-ephemeral") {
            return value == "true";
        }
    }
    return false;
}

}  // namespace

PublishResult Publisher::publish(PublishRequest& request) {
    PublishResult result = check(request);
    if (result.error != PublishError::None) {
        return result;
    }
    const auto user_queue = user_send_queue(request.destination);
    if (const auto reply = parse_reply_queue(request.destination)) {
        result.message = make(request, reply->temp_destination(), nullptr);
        shard_.count_message_in();
        deliver_reply(shard_, *reply, result.message);
        return result;
    }
    const auto& destinations = shard_.config().destinations;
    const auto where = protocol::classify(request.destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    if (where.kind == protocol::DestinationKind::Queue || user_queue) {
        result.message =
            make(request, user_queue ? *user_queue : std::string(request.destination), nullptr);
        shard_.count_message_in();
        // On a cluster a user queue lives in Redis and on every node that has a subscriber
        // of it; while Redis is down, on this node only (local delivery).
        if (user_queue && shard_.cluster_configured() && shard_.cluster_up()) {
            publish_to_user_in_redis(request, result);
            return result;
        }
        if (!shard_.queues().enqueue(result.message)) {
            result.error = PublishError::QueueFull;
            result.detail =
                fmt::format("'{}' holds its max_messages or max_bytes", request.destination);
        }
        return result;
    }
    const rooms::RoomRule* rule = nullptr;
    if (shard_.rooms().has_rooms() && !protocol::is_pattern(where.name)) {
        rule = shard_.rooms().rule_for(request.destination);
    }
    const bool ephemeral = is_ephemeral(request);
    if (rule != nullptr && !ephemeral) {
        publish_to_room(request, *rule, where.prefix.size(), result);
        return result;
    }
    // An ephemeral message in a presence room: rate-limited per principal (typing indicators
    // are many and cheap to send; the excess is dropped quietly, the sender stays), and it
    // carries the room's member count like every other message there.
    protocol::RoomStamp stamp;
    const bool presence = rule != nullptr && rule->presence.enabled;
    if (presence) {
        if (request.sender != nullptr &&
            !shard_.rooms().presence().allow_ephemeral(request.destination, request.sender->name,
                                                       rule->presence.ephemeral_per_s, wall_ms())) {
            result.dropped = true;
            return result;
        }
        stamp.user_count = shard_.rooms().member_count(request.destination);
    }
    result.message = make(request, request.destination, presence ? &stamp : nullptr);
    shard_.count_message_in();
    fan_out(result.message, request, where.prefix.size());
    return result;
}

void Publisher::publish_to_room(PublishRequest& request, const rooms::RoomRule& rule,
                                std::size_t prefix_length, PublishResult& result) {
    if (shard_.rooms().in_redis()) {
        return publish_to_room_in_redis(request, rule, result);
    }
    rooms::AppendResult appended = rooms::AppendResult::Delivered;
    // The registry numbers it under the room's lock and, still under it, it goes to every
    // shard's inbox, this one's too: each inbox receives the room's messages in number order,
    // and each shard delivers them in that order (docs/architecture.md, "Rooms").
    const std::string destination(request.destination);
    result.message = shard_.rooms().append(
        destination, rule,
        [this, &request, &rule](const protocol::RoomStamp& stamp) {
            if (!rule.presence.enabled) {
                return make(request, request.destination, &stamp);
            }
            protocol::RoomStamp counted = stamp;  // the members when it was published
            counted.user_count = shard_.rooms().member_count(request.destination);
            return make(request, request.destination, &counted);
        },
        [this, &request, prefix_length](const protocol::MessagePtr& message) {
            // A member's own message is read by it: its cursor moves before any shard can
            // see the message, so no watcher ever counts it as unread (members.hpp). Read
            // cursors are kept with the memory backend only (docs/protocol.md, "Rooms").
            if (request.sender != nullptr && !request.sender->anonymous &&
                !shard_.rooms().durable()) {
                shard_.rooms().members().mark_read(request.sender->name, message->destination,
                                                   message->seq, message->seq);
            }
            shard_.post_to_every_shard(message, prefix_length);
        },
        std::move(request.on_stored), appended);
    if (appended == rooms::AppendResult::Refused) {
        result.error = PublishError::StorageUnavailable;
        result.detail = fmt::format(
            "the history log cannot take a message for {} now (its "
            "queue is full or it is stopping)",
            destination);
        return;
    }
    result.awaiting_storage = appended == rooms::AppendResult::Storing;
    shard_.count_message_in();
    report_offline_members(request, *result.message);
    if (request.source != PublishSource::Backend) {
        shard_.relay(result.message);
    }
}

void Publisher::report_offline_members(const PublishRequest& request,
                                       const protocol::Message& message) {
    rooms::RoomRegistry& rooms = shard_.rooms();
    // Members are kept with the memory backend only (the config refuses the hook elsewhere).
    if (!rooms.offline().enabled() || rooms.durable()) {
        return;
    }
    // Both arms string_view: a std::string arm would make the result a dangling temporary.
    const std::string_view sender = request.sender != nullptr && !request.sender->anonymous
                                        ? std::string_view(request.sender->name)
                                        : std::string_view();
    // O(members of the room), no I/O: the webhook thread does the rest (offline_tracker.hpp).
    rooms.offline().message(message.destination, message.seq, sender,
                            rooms::make_preview(message.body, message.body_is_utf8),
                            rooms.members(), rooms::steady_now_ms());
}

void Publisher::publish_to_room_in_redis(PublishRequest& request, const rooms::RoomRule& rule,
                                         PublishResult& result) {
    if (!shard_.cluster_up()) {
        shard_.rooms().count_storage_error("a room message was refused: Redis is not connected");
        result.error = PublishError::StorageUnavailable;
        result.detail = fmt::format(
            "Redis, which numbers and keeps {}'s messages, cannot be reached now: the message "
            "is not delivered",
            request.destination);
        return;
    }
    // Numbered, kept and published by one script in Redis; every node, this one too, delivers
    // it from the room's channel in number order (no local delivery here, no relay PUBLISH).
    // With presence, the members now go with it (Redis adds the number): every node's
    // subscribers see the same x-user-count.
    protocol::RoomStamp counted;
    if (rule.presence.enabled) {
        counted.user_count = shard_.rooms().member_count(request.destination);
    }
    result.message = make(request, request.destination, rule.presence.enabled ? &counted : nullptr);
    shard_.count_message_in();
    storage::AppendDone stored =
        request.on_stored ? std::move(request.on_stored) : [](bool /*stored*/) {};
    shard_.publish_room_in_redis(result.message, rule, std::move(request.dedupe),
                                 std::move(stored));
    result.awaiting_storage = true;
}

void Publisher::publish_to_user_in_redis(PublishRequest& request, PublishResult& result) {
    const QueuePolicy policy = shard_.queues().policy(result.message->destination);
    const bool backend = request.source == PublishSource::Backend;
    result.awaiting_storage = static_cast<bool>(request.on_queued);
    auto answered = [&queues = shard_.queues(), message = result.message, backend,
                     on_queued = std::move(request.on_queued)](
                        std::optional<storage::UserSendOutcome> outcome) {
        PublishError error = PublishError::None;
        if (!outcome && !backend) {
            // Redis did not answer: delivered here instead, as when it is down. (A backend
            // publish reached every node: the others may have sent it.)
            if (!queues.enqueue(message)) {
                error = PublishError::QueueFull;
            }
        } else if (outcome == storage::UserSendOutcome::Full) {
            error = PublishError::QueueFull;
        }
        if (on_queued) {
            on_queued(error);
        }
    };
    shard_.publish_user_in_redis(result.message, policy.max_messages,
                                 policy.overflow == QueueOverflow::DropOldest,
                                 std::move(request.dedupe), std::move(answered));
}

void Publisher::fan_out(const protocol::MessagePtr& message, const PublishRequest& request,
                        std::size_t prefix_length) {
    const std::string_view destination = message->destination;
    deliver_here(message, destination.substr(0, prefix_length), destination.substr(prefix_length));
    if (request.source != PublishSource::Backend) {
        shard_.relay(message);
    }
    shard_.post_to_other_shards(message, prefix_length);
}

void Publisher::deliver_from_shard(const protocol::MessagePtr& message, std::size_t prefix_length) {
    const std::string_view destination = message->destination;
    if (message->seq != 0 && !unread_.empty()) {
        // A numbered room message (memory or file backend: each shard gets each one once,
        // in order, through its inbox) changes its room's last_seq for the members watching.
        unread_.room_changed(destination);
    }
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

void announce_member_change(ShardServices& host, const std::string& principal,
                            const std::string& room) {
    for (unsigned index = 0;; ++index) {
        const bool posted = host.post_to_shard(index, [principal, room](ShardServices& shard) {
            shard.publisher().unread().member_changed(principal, room, shard.rooms());
        });
        if (!posted) {
            break;
        }
    }
}

}  // namespace stampede::broker
