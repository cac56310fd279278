// Presence: who is in each room with presence enabled, on this node (DESIGN.md "Rooms").
// One per node, owned by the RoomRegistry and shared by every shard.
//
// A member is a principal (an anonymous session counts under its principal name,
// "anonymous:<session>", so each anonymous session is its own member). Each exact
// subscription to the room counts once: three tabs of one principal are one member with
// three subscriptions; its first subscription is an enter, its last one gone a leave.
//
// Each room has its own lock, and every change gets a node-wide change number under it;
// `in_order` runs under that lock, so what it hands on (to the other shards) leaves in
// change order, and a snapshot taken with its change number tells a watcher which later
// changes it has already seen (those numbered up to it). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stampede::rooms {

/// A room's presence settings (destinations.rooms[].presence).
struct PresenceRule {
    bool enabled = false;
    bool notices = true;
    std::string info_claim;  // shown beside members in snapshots ("" = no info)
    std::string enter_body;  // templates (protocol/notice_template.hpp); "" = the default JSON
    std::string leave_body;
    std::uint32_t ephemeral_per_s = 10;  // 0 = no limit
    std::uint32_t node_ttl_s = 15;       // a cluster: how long a silent node's members stay
};

/// What an enter or a leave did.
struct PresenceChange {
    bool changed = false;       // a member came (its first subscription) or went (its last)
    std::uint64_t count = 0;    // the room's members now
    std::uint64_t version = 0;  // the change's number (when changed)
};

struct PresenceSnapshot {
    std::vector<std::string> users;                         // sorted
    std::vector<std::pair<std::string, std::string>> info;  // member -> info, when it has one
    std::uint64_t version = 0;                              // the last change it includes
};

class Presence {
   public:
    using InOrder = std::function<void(const PresenceChange&)>;

    /// One more subscription of `member` to `room`; `info` (the info claim's value, "" none)
    /// is kept from its first. `in_order` runs under the room's lock when it is an enter.
    PresenceChange enter(std::string_view room, std::string_view member, std::string_view info,
                         const InOrder& in_order);
    /// One subscription fewer; `in_order` runs under the room's lock when it is a leave.
    /// A member or room it does not know changes nothing.
    PresenceChange leave(std::string_view room, std::string_view member, const InOrder& in_order);

    std::uint64_t count(std::string_view room) const;
    PresenceSnapshot snapshot(std::string_view room) const;

    /// One member of one room on this node, with its info (a cluster's node reports these).
    struct Entry {
        std::string room;
        std::string member;
        std::string info;
    };
    /// The member's info when it has a subscription to `room` on this node, else nullopt.
    std::optional<std::string> local_info(std::string_view room, std::string_view member) const;
    /// Every member of every room on this node.
    std::vector<Entry> entries() const;

    /// x-ephemeral SENDs: whether `sender` may send one more to `room` this second (at most
    /// `per_s`; 0 = no limit). A refusal is counted in ephemeral_dropped().
    bool allow_ephemeral(std::string_view room, std::string_view sender, std::uint32_t per_s,
                         std::int64_t now_ms);
    std::uint64_t ephemeral_dropped() const {
        return ephemeral_dropped_.load(std::memory_order_relaxed);
    }
    /// Members of every room (metrics, tests).
    std::size_t members() const;

   private:
    struct Member {
        std::uint32_t subscriptions = 0;
        std::string info;
    };
    struct Window {  // one sender's ephemeral SENDs in the current second
        std::int64_t second = 0;
        std::uint32_t sent = 0;
    };
    struct Room {
        mutable std::mutex lock;
        std::map<std::string, Member, std::less<>> members;  // sorted: snapshots are
        std::unordered_map<std::string, Window> senders;
    };

    Room* find(std::string_view room) const;
    Room& find_or_add(std::string_view room);

    mutable std::shared_mutex rooms_lock_;  // the map; each room has its own lock
    std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
    std::atomic<std::uint64_t> versions_{0};
    std::atomic<std::uint64_t> ephemeral_dropped_{0};
};

}  // namespace stampede::rooms
