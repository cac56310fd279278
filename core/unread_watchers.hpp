// UnreadWatchers: this shard's SUBSCRIBE /stampede/unread subscriptions (DESIGN.md "Rooms",
// "Read cursors"), indexed two ways so that each change costs only the watchers it concerns:
// room -> the watchers whose principal is a member of it (a numbered room message touches
// those), and principal -> its watchers (a membership or cursor change touches those).
// Each watcher remembers the rooms changed since its last update and the numbers it last
// sent, so an update carries exactly the rooms whose numbers moved.
//
// Cursors and memberships are node-wide (rooms/members.hpp); a change made on one shard is
// announced to every shard through its inbox (member_changed), after the registry has it, so
// a watcher always ends up reading the registry's latest values. Shard thread only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rooms/room_registry.hpp"

namespace stampede::broker {

class ShardServices;
struct Subscription;

/// "/stampede/unread": a principal's unread counts.
inline constexpr std::string_view kUnreadDestination = "/stampede/unread";
/// SEND /stampede/read/<room destination> with x-seq:<n>; SEND /stampede/leave/<room>.
inline constexpr std::string_view kReadPrefix = "/stampede/read/";
inline constexpr std::string_view kLeavePrefix = "/stampede/leave/";

class UnreadWatchers {
   public:
    /// A new watcher of `principal`'s unread counts. Returns the snapshot body:
    /// {"<room>":{"unread":u,"read_seq":r,"last_seq":l},...} for every room it is a member of.
    std::string add(Subscription* sub, std::string_view principal,
                    const rooms::RoomRegistry& rooms);
    void remove(Subscription* sub);

    /// A numbered message in `room` reached this shard: each watcher of a member of it is
    /// marked and told (Subscriber::unread_changed).
    void room_changed(std::string_view room);
    /// `principal`'s membership of `room` began, ended, or its cursor moved (read from
    /// `rooms` now): its watchers here are re-indexed, marked and told.
    void member_changed(std::string_view principal, std::string_view room,
                        const rooms::RoomRegistry& rooms);

    /// The update for `sub`: the rooms marked since the last one whose numbers changed (a
    /// room left is `null`); "" when none did.
    std::string take_update(const Subscription* sub, const rooms::RoomRegistry& rooms);

    bool empty() const { return watches_.empty(); }

   private:
    struct Sent {
        std::uint64_t read_seq = 0;
        std::uint64_t last_seq = 0;
        bool operator==(const Sent&) const = default;
    };
    struct Watch {
        std::string principal;
        std::set<std::string, std::less<>> rooms;  // its principal's rooms (as indexed)
        std::set<std::string, std::less<>> dirty;  // changed since the last update
        std::map<std::string, Sent, std::less<>> sent;
    };

    void index_room(Subscription* sub, const std::string& room);
    void unindex_room(Subscription* sub, const std::string& room);
    void touch(Subscription* sub, Watch& watch, std::string_view room);

    std::unordered_map<const Subscription*, Watch> watches_;
    std::unordered_map<std::string, std::vector<Subscription*>> by_room_;
    std::unordered_map<std::string, std::vector<Subscription*>> by_principal_;
};

}  // namespace stampede::broker
