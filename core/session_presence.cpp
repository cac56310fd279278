// Session: presence (DESIGN.md "Rooms"). Its principal counted in and out of presence rooms,
// and SUBSCRIBE /stampede/presence/<room>: the room's snapshot, the RECEIPT, then one MESSAGE
// per enter or leave. Shard thread only.
#include <fmt/format.h>

#include "auth/claims.hpp"
#include "core/presence_notices.hpp"
#include "core/publish.hpp"
#include "core/session.hpp"
#include "protocol/destination.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;

void Session::change_presence(const std::string& room, const rooms::RoomRule& rule, bool enter) {
    // The member is the principal: an anonymous session's is "anonymous:<session>", its own.
    // Its info (the room's info_claim from the session's JWT) is kept from its first enter.
    const std::string info = enter && !rule.presence.info_claim.empty()
                                 ? auth::claim_json(principal_.claims, rule.presence.info_claim)
                                 : std::string();
    if (principal_.anonymous && host_.rooms().cluster_presence()) {
        // Session ids are unique on one node only: on a cluster, the node names it too.
        const std::string member = principal_.name + "@" + host_.node_id();
        return host_.publisher().publish_presence(room, rule, member, info, enter);
    }
    host_.publisher().publish_presence(room, rule, principal_.name, info, enter);
}

void Session::subscribe_broker_destination(const protocol::Frame& frame,
                                           std::string_view destination, std::string_view id,
                                           AckMode ack) {
    const std::optional<std::string> room = presence_room(destination);
    if (!room) {
        return fail(CloseReason::UnknownDestinationPrefix,
                    fmt::format("'{}': {} is reserved for the broker's own destinations, and "
                                "this is not one of them (there is {}<room destination>)",
                                destination, kBrokerPrefix, kPresencePrefix),
                    &frame);
    }
    const auto& config = host_.config();
    const auto where = protocol::classify(*room, config.destinations.topic_prefixes,
                                          config.destinations.queue_prefixes);
    const rooms::RoomRule* rule = where.kind == protocol::DestinationKind::Topic &&
                                          !protocol::is_pattern(where.name) &&
                                          host_.rooms().has_rooms()
                                      ? host_.rooms().rule_for(*room)
                                      : nullptr;
    if (rule == nullptr || !rule->presence.enabled) {
        return fail(CloseReason::BadDestination,
                    fmt::format("'{}': {} is not a room with presence enabled", destination, *room),
                    &frame);
    }
    // Watching a room's presence needs what its messages need: subscribe on the room.
    if (!allowed(auth::AclAction::Subscribe, *room)) {
        return fail(CloseReason::AccessDenied,
                    fmt::format("subscribing to {} (the presence of {}) is not allowed",
                                destination, *room),
                    &frame);
    }
    auto sub = std::make_unique<Subscription>();
    sub->session = this;
    sub->id = std::string(id);
    sub->message_head = protocol::message_head(sub->id, version_);
    sub->destination = std::string(destination);
    sub->kind = protocol::DestinationKind::Topic;
    sub->name = std::string(destination.substr(kPresencePrefix.size()));
    sub->ack = ack;
    Subscription* raw = sub.get();
    subscriptions_.emplace(raw->id, std::move(sub));
    host_.add_topic_subscription(raw);
    // The snapshot is taken once the watcher is indexed: this shard's later changes reach it
    // live, and the other shards' changes that the snapshot already had are skipped by number.
    const rooms::PresenceSnapshot snapshot = host_.rooms().presence_snapshot(*room);
    raw->presence_through = snapshot.version;
    protocol::RoomStamp stamp;
    stamp.user_count = snapshot.users.size();
    stamp.presence = "snapshot";
    std::vector<std::pair<std::string, std::string>> headers = {
        {"content-type", "application/json"}};
    protocol::MessagePtr message = protocol::Message::make(
        destination, host_.make_message_id(), host_.node_id(), "", std::move(headers),
        presence_snapshot_body(*rule, snapshot), &stamp);
    push_message(LocalMessage(std::move(message)), *raw,
                 raw->ack == AckMode::Auto ? 0 : next_ack_id(false));
    send_receipt(frame);
}

}  // namespace stampede::broker
