// PresenceMirror: this node's copy of a cluster's presence (DESIGN.md "Rooms"; the Redis side
// is storage/redis_presence.hpp). Redis holds who is in each room on every node; each node
// keeps the whole of it here, loaded once Redis answers and then kept current by the notices
// every change publishes. Counts, snapshots and x-user-count read it; the nodes' own sessions
// are counted by Presence (presence.hpp), whose changes go to Redis.
//
// Redis numbers its changes; a notice whose number the mirror already has (it was in a load)
// is skipped, and notices that arrive before the first load wait for it. Each change the
// mirror makes gets its own number, which only grows on this node, even when Redis restarts
// and its numbering starts again: /stampede/presence/ watchers compare those (Message::
// presence_version). Any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rooms/presence.hpp"

namespace stampede::rooms {

class PresenceMirror {
   public:
    /// A change of the room's members, as this node saw it.
    struct Change {
        std::string room;
        std::string member;
        bool enter = false;
        std::uint64_t count = 0;    // the room's members after it
        std::uint64_t version = 0;  // this mirror's number for it
    };
    /// A room's members (member -> info, "" none), as a load gives them.
    using Members = std::map<std::string, std::string, std::less<>>;
    using Rooms = std::unordered_map<std::string, Members>;  // = storage::PresenceRooms

    /// A change Redis published as its number `redis_version`. Nullopt when it changes
    /// nothing here: already in the mirror, or held until the next load (not loaded).
    std::optional<Change> apply(std::uint64_t redis_version, bool enter, std::string_view room,
                                std::string_view member, std::string_view info);
    /// The whole of Redis's presence at its number `redis_version`. Returns what differs from
    /// what the mirror had (each member gone a leave, each new one an enter), then the held
    /// notices that came after the load.
    std::vector<Change> load(std::uint64_t redis_version, Rooms rooms);
    /// Redis went away: later notices wait for the next load (what is here stays).
    void unload();
    bool loaded() const;

    std::uint64_t count(std::string_view room) const;
    PresenceSnapshot snapshot(std::string_view room) const;
    /// Members of every room (metrics).
    std::size_t members() const;

   private:
    struct Held {
        std::uint64_t redis_version;
        bool enter;
        std::string room;
        std::string member;
        std::string info;
    };
    std::optional<Change> apply_locked(bool enter, std::string_view room, std::string_view member,
                                       std::string_view info);

    mutable std::shared_mutex lock_;
    Rooms rooms_;
    std::uint64_t redis_version_ = 0;  // the last Redis change the mirror has
    std::uint64_t version_ = 0;        // this mirror's own numbering
    bool loaded_ = false;
    std::vector<Held> held_;  // notices that came while not loaded
};

}  // namespace stampede::rooms
