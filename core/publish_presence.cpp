// Publisher: presence notices (DESIGN.md "Rooms"). A presence change is the broker's own
// message, so it skips the checks of a client's publish (no ACL, no x-sender) and the room's
// numbering (no x-seq, not kept: like an x-ephemeral message); it fans out like any topic
// message. On one node a change is announced where it happens; on a cluster it goes to Redis,
// and every node announces what Redis publishes (cluster/relay_presence.cpp). See
// publish.hpp. Shard thread only.
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

void Publisher::announce_presence(std::string_view room, const rooms::RoomRule& rule,
                                  std::string_view member, std::uint64_t count,
                                  std::uint64_t version, bool enter) {
    if (shard_.draining()) {
        return;
    }
    const auto& destinations = shard_.config().destinations;
    const std::size_t prefix_length =
        protocol::classify(room, destinations.topic_prefixes, destinations.queue_prefixes)
            .prefix.size();
    protocol::RoomStamp stamp;
    stamp.user_count = count;
    stamp.presence = enter ? "enter" : "leave";
    stamp.user = member;
    const std::string body = presence_notice_body(rule, room, member, count, enter);
    // To every shard's inbox (this one's too): each shard delivers a room's changes in the
    // order they were announced.
    if (rule.presence.notices) {
        shard_.post_to_every_shard(make_presence(room, body, stamp), prefix_length);
    }
    stamp.presence_version = version;
    shard_.post_to_every_shard(make_presence(presence_destination(room), body, stamp),
                               kPresencePrefix.size());
}

void Publisher::publish_presence(std::string_view room, const rooms::RoomRule& rule,
                                 std::string_view member, std::string_view info, bool enter) {
    rooms::Presence& presence = shard_.rooms().presence();
    const bool cluster = shard_.rooms().cluster_presence();
    // Under the room's presence lock: announced (one node) or reported to the home shard's
    // relay (a cluster) in the order the changes happened.
    const auto in_order = [&](const rooms::PresenceChange& change) {
        if (cluster) {
            shard_.report_presence(std::string(room), std::string(member));
        } else {
            announce_presence(room, rule, member, change.count, change.version, enter);
        }
    };
    if (enter) {
        presence.enter(room, member, info, in_order);
    } else {
        presence.leave(room, member, in_order);
    }
}

}  // namespace stampede::broker
