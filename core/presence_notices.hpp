// Presence notices (DESIGN.md "Rooms"): the reserved /stampede/presence/<room> destinations,
// and the bodies of enter/leave notices and snapshots. Pure text; the publish pipeline
// (publish_presence.cpp) and room SUBSCRIBE (session_presence.cpp) send them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rooms/presence.hpp"
#include "rooms/room_registry.hpp"

namespace stampede::broker {

/// `/stampede/` is the broker's own: nothing else may use a destination under it.
inline constexpr std::string_view kBrokerPrefix = "/stampede/";
/// SUBSCRIBE /stampede/presence/<room destination> watches that room's presence; its router
/// key is this prefix and the room without its leading '/' ("topic/room.42").
inline constexpr std::string_view kPresencePrefix = "/stampede/presence/";

/// "/stampede/presence/topic/room.42" for "/topic/room.42".
std::string presence_destination(std::string_view room);
/// The room a /stampede/presence/ destination watches ("/topic/room.42"), or nullopt when
/// `destination` is not one (or names nothing after the prefix).
std::optional<std::string> presence_room(std::string_view destination);

/// An enter or leave notice's body: the rule's template, or
/// {"event":"enter","user":"...","count":N}.
std::string presence_notice_body(const rooms::RoomRule& rule, std::string_view room,
                                 std::string_view user, std::uint64_t count, bool enter);
/// {"users":[...],"count":N} and, when the rule has an info_claim, "info":{member: info}.
std::string presence_snapshot_body(const rooms::RoomRule& rule,
                                   const rooms::PresenceSnapshot& snapshot);

}  // namespace stampede::broker
