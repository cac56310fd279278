// Publisher: presence notices (DESIGN.md "Rooms"). A presence change is the broker's own
// message, so it skips the checks of a client's publish (no ACL, no x-sender) and the room's
// numbering (no x-seq, not kept: like an x-ephemeral message); it fans out like any topic
// message. See publish.hpp. Shard thread only.
#include <fmt/format.h>

#include "core/local_message.hpp"
#include "core/presence_notices.hpp"
#include "core/publish.hpp"
#include "core/shard_services.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {

protocol::MessagePtr Publisher::make_presence(std::string_view destination, std::string body,
                                              const protocol::RoomStamp& stamp) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"content-type", "application/json"}};
    return protocol::Message::make(destination, shard_.make_message_id(), shard_.node_id(), "",
                                   std::move(headers), std::move(body), &stamp);
}

void Publisher::publish_presence(std::string_view room, const rooms::RoomRule& rule,
                                 std::string_view member, std::string_view info, bool enter) {
    rooms::Presence& presence = shard_.rooms().presence();
    const bool send = !shard_.draining();
    const auto& destinations = shard_.config().destinations;
    const std::size_t prefix_length =
        protocol::classify(room, destinations.topic_prefixes, destinations.queue_prefixes)
            .prefix.size();
    const std::string watched = presence_destination(room);
    protocol::MessagePtr notice;
    protocol::MessagePtr event;
    // Under the room's presence lock: every shard's inbox gets a room's changes in order.
    const auto in_order = [&](const rooms::PresenceChange& change) {
        if (!send) {
            return;
        }
        protocol::RoomStamp stamp;
        stamp.user_count = change.count;
        stamp.presence = enter ? "enter" : "leave";
        stamp.user = member;
        const std::string body = presence_notice_body(rule, room, member, change.count, enter);
        if (rule.presence.notices) {
            notice = make_presence(room, body, stamp);
            shard_.post_to_other_shards(notice, prefix_length);
        }
        stamp.presence_version = change.version;
        event = make_presence(watched, body, stamp);
        shard_.post_to_other_shards(event, kPresencePrefix.size());
    };
    if (enter) {
        presence.enter(room, member, info, in_order);
    } else {
        presence.leave(room, member, in_order);
    }
    // This shard's own subscribers after the lock, as for a room's numbered messages.
    if (notice) {
        deliver_here(notice, room.substr(0, prefix_length), room.substr(prefix_length));
    }
    if (event) {
        deliver_here(event, kPresencePrefix,
                     std::string_view(watched).substr(kPresencePrefix.size()));
    }
}

}  // namespace stampede::broker
