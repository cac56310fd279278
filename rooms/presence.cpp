// See presence.hpp. Rooms are kept once created (like the RoomRegistry's): a room nobody is in
// costs an empty map, and never removing one means a change number never goes backwards for
// a room a watcher still looks at.
#include "rooms/presence.hpp"

namespace stampede::rooms {

namespace {

// Past this many senders in a room's rate windows, stale ones (an earlier second) are dropped,
// so a room visited by many anonymous sessions does not keep a window for each forever.
constexpr std::size_t kSendersBeforePrune = 1024;

}  // namespace

Presence::Room* Presence::find(std::string_view room) const {
    const std::shared_lock lock(rooms_lock_);
    const auto it = rooms_.find(std::string(room));
    return it == rooms_.end() ? nullptr : it->second.get();
}

Presence::Room& Presence::find_or_add(std::string_view room) {
    if (Room* found = find(room)) {
        return *found;
    }
    const std::unique_lock lock(rooms_lock_);
    auto& slot = rooms_[std::string(room)];
    if (!slot) {
        slot = std::make_unique<Room>();
    }
    return *slot;
}

PresenceChange Presence::enter(std::string_view room, std::string_view member,
                               std::string_view info, const InOrder& in_order) {
    Room& r = find_or_add(room);
    const std::lock_guard lock(r.lock);
    PresenceChange change;
    auto it = r.members.find(member);
    if (it == r.members.end()) {
        it = r.members.emplace(std::string(member), Member{0, std::string(info)}).first;
        change.changed = true;
    }
    ++it->second.subscriptions;
    change.count = r.members.size();
    if (change.changed) {
        change.version = versions_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (in_order) {
            in_order(change);
        }
    }
    return change;
}

PresenceChange Presence::leave(std::string_view room, std::string_view member,
                               const InOrder& in_order) {
    PresenceChange change;
    Room* r = find(room);
    if (r == nullptr) {
        return change;
    }
    const std::lock_guard lock(r->lock);
    const auto it = r->members.find(member);
    if (it == r->members.end()) {
        change.count = r->members.size();
        return change;
    }
    if (--it->second.subscriptions == 0) {
        r->members.erase(it);
        change.changed = true;
    }
    change.count = r->members.size();
    if (change.changed) {
        change.version = versions_.fetch_add(1, std::memory_order_relaxed) + 1;
        if (in_order) {
            in_order(change);
        }
    }
    return change;
}

std::uint64_t Presence::count(std::string_view room) const {
    const Room* r = find(room);
    if (r == nullptr) {
        return 0;
    }
    const std::lock_guard lock(r->lock);
    return r->members.size();
}

PresenceSnapshot Presence::snapshot(std::string_view room) const {
    PresenceSnapshot snapshot;
    const Room* r = find(room);
    // Taken under the room's lock: every change numbered up to `version` is in it, and
    // (with the version read under the same lock as the changes number themselves) no later
    // one is.
    snapshot.version = versions_.load(std::memory_order_relaxed);
    if (r == nullptr) {
        return snapshot;
    }
    const std::lock_guard lock(r->lock);
    snapshot.version = versions_.load(std::memory_order_relaxed);
    snapshot.users.reserve(r->members.size());
    for (const auto& [name, member] : r->members) {
        snapshot.users.push_back(name);
        if (!member.info.empty()) {
            snapshot.info.emplace_back(name, member.info);
        }
    }
    return snapshot;
}

std::optional<std::string> Presence::local_info(std::string_view room,
                                                std::string_view member) const {
    const Room* r = find(room);
    if (r == nullptr) {
        return std::nullopt;
    }
    const std::lock_guard lock(r->lock);
    const auto it = r->members.find(member);
    if (it == r->members.end()) {
        return std::nullopt;
    }
    return it->second.info;
}

std::vector<Presence::Entry> Presence::entries() const {
    const std::shared_lock lock(rooms_lock_);
    std::vector<Entry> out;
    for (const auto& [name, room] : rooms_) {
        const std::lock_guard room_lock(room->lock);
        for (const auto& [member, state] : room->members) {
            out.push_back({name, member, state.info});
        }
    }
    return out;
}

bool Presence::allow_ephemeral(std::string_view room, std::string_view sender, std::uint32_t per_s,
                               std::int64_t now_ms) {
    if (per_s == 0) {
        return true;
    }
    Room& r = find_or_add(room);
    const std::lock_guard lock(r.lock);
    const std::int64_t second = now_ms / 1000;
    if (r.senders.size() > kSendersBeforePrune) {
        std::erase_if(r.senders,
                      [second](const auto& entry) { return entry.second.second != second; });
    }
    Window& window = r.senders[std::string(sender)];
    if (window.second != second) {
        window = {second, 0};
    }
    if (window.sent >= per_s) {
        ephemeral_dropped_.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    ++window.sent;
    return true;
}

std::size_t Presence::members() const {
    const std::shared_lock lock(rooms_lock_);
    std::size_t total = 0;
    for (const auto& [name, room] : rooms_) {
        const std::lock_guard room_lock(room->lock);
        total += room->members.size();
    }
    return total;
}

}  // namespace stampede::rooms
