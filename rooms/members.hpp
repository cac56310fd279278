// Members: which rooms each principal is a member of, and how far it has read each one
// (DESIGN.md "Rooms", "Members" and "Read cursors"). One per node, owned by the RoomRegistry
// and shared by every shard; kept in memory only (lost on restart).
//
// A cursor is one number, the last seq its principal has read; unread is the room's latest
// number minus it, so nothing here ever scans a history. The room's latest number is the
// RoomRegistry's: callers pass it in, so this class takes no room lock and can be called
// under one (a member's own message advances its cursor while the room numbers it).
// One lock for the whole map: every operation is a couple of hash lookups. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stampede::rooms {

/// What mark_read did.
enum class MarkResult {
    NotMember,  // the principal is not a member of the room: nothing changed
    Unchanged,  // n was not past the cursor (monotonic): nothing changed
    Moved,      // the cursor moved forward
};

class Members {
   public:
    /// `principal` becomes a member of `room` with its cursor at `latest` (the room's last
    /// number now), unless it already is one. True when the membership began here.
    bool join(std::string_view principal, std::string_view room, std::uint64_t latest);
    /// Moves the member's cursor to min(n, latest); a lower n changes nothing.
    MarkResult mark_read(std::string_view principal, std::string_view room, std::uint64_t n,
                         std::uint64_t latest);
    /// Ends the membership; false when there was none.
    bool leave(std::string_view principal, std::string_view room);

    /// The member's cursor, or nullopt when it is not a member.
    std::optional<std::uint64_t> read_seq(std::string_view principal, std::string_view room) const;
    /// Every room of `principal` with its cursor, sorted by room.
    std::vector<std::pair<std::string, std::uint64_t>> rooms_of(std::string_view principal) const;
    /// Memberships of every principal (metrics, tests).
    std::size_t memberships() const;
    /// Calls `visit` with each member of `room`, under this class's lock (so `visit` must not
    /// call back into it). O(members of the room): the offline hook's walk per message.
    template <class Visit>
    void for_each_member(std::string_view room, Visit&& visit) const {
        const std::lock_guard guard(lock_);
        const auto found = rooms_.find(std::string(room));
        if (found == rooms_.end()) {
            return;
        }
        for (const std::string& principal : found->second) {
            visit(principal);
        }
    }

    /// latest - read_seq, never below 0 (a cursor is capped at the latest it was given, and
    /// the latest never goes back on a running node).
    static std::uint64_t unread(std::uint64_t read_seq, std::uint64_t latest) {
        return latest > read_seq ? latest - read_seq : 0;
    }

   private:
    using Cursors = std::map<std::string, std::uint64_t, std::less<>>;  // room -> read_seq

    mutable std::mutex lock_;
    std::unordered_map<std::string, Cursors> principals_;
    // The same memberships by room, for the offline hook's walk over a room's members.
    std::unordered_map<std::string, std::set<std::string, std::less<>>> rooms_;
};

}  // namespace stampede::rooms
