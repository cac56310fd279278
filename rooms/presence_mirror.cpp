// See presence_mirror.hpp.
#include "rooms/presence_mirror.hpp"

#include <mutex>

namespace stampede::rooms {

namespace {

// Past this many notices held while not loaded, the oldest go: the next load has them anyway
// (a held notice only matters when it is newer than the load), so holding is for the short
// gap between listening and the load's answer.
constexpr std::size_t kMaxHeld = 100000;

}  // namespace

std::optional<PresenceMirror::Change> PresenceMirror::apply_locked(bool enter,
                                                                   std::string_view room,
                                                                   std::string_view member,
                                                                   std::string_view info) {
    auto found = rooms_.find(std::string(room));
    if (enter) {
        if (found == rooms_.end()) {
            found = rooms_.emplace(std::string(room), Members{}).first;
        }
        if (!found->second.emplace(std::string(member), std::string(info)).second) {
            return std::nullopt;
        }
    } else {
        if (found == rooms_.end()) {
            return std::nullopt;
        }
        const auto it = found->second.find(member);
        if (it == found->second.end()) {
            return std::nullopt;
        }
        found->second.erase(it);
    }
    Change change{std::string(room), std::string(member), enter, found->second.size(), ++version_};
    if (found->second.empty()) {
        rooms_.erase(found);
    }
    return change;
}

std::optional<PresenceMirror::Change> PresenceMirror::apply(std::uint64_t redis_version, bool enter,
                                                            std::string_view room,
                                                            std::string_view member,
                                                            std::string_view info) {
    const std::unique_lock lock(lock_);
    if (!loaded_) {
        if (held_.size() >= kMaxHeld) {
            held_.erase(held_.begin());
        }
        held_.push_back(
            {redis_version, enter, std::string(room), std::string(member), std::string(info)});
        return std::nullopt;
    }
    if (redis_version <= redis_version_) {
        return std::nullopt;  // the load had it
    }
    redis_version_ = redis_version;
    return apply_locked(enter, room, member, info);
}

std::vector<PresenceMirror::Change> PresenceMirror::load(std::uint64_t redis_version, Rooms rooms) {
    const std::unique_lock lock(lock_);
    std::vector<Change> changes;
    // Leaves first (every member the mirror had that the load has not), then enters.
    for (auto& [room, members] : rooms_) {
        const auto now = rooms.find(room);
        for (auto it = members.begin(); it != members.end();) {
            if (now == rooms.end() || !now->second.contains(it->first)) {
                const std::string member = it->first;
                it = members.erase(it);
                changes.push_back({room, member, false, members.size(), ++version_});
            } else {
                ++it;
            }
        }
    }
    std::erase_if(rooms_, [](const auto& room) { return room.second.empty(); });
    for (auto& [room, members] : rooms) {
        for (auto& [member, info] : members) {
            Members& here = rooms_[room];
            if (here.emplace(member, info).second) {
                changes.push_back({room, member, true, here.size(), ++version_});
            }
        }
    }
    redis_version_ = redis_version;
    loaded_ = true;
    std::vector<Held> held;
    held.swap(held_);
    for (const Held& notice : held) {
        if (notice.redis_version > redis_version_) {
            redis_version_ = notice.redis_version;
            if (auto change = apply_locked(notice.enter, notice.room, notice.member, notice.info)) {
                changes.push_back(std::move(*change));
            }
        }
    }
    return changes;
}

void PresenceMirror::unload() {
    const std::unique_lock lock(lock_);
    loaded_ = false;
}

bool PresenceMirror::loaded() const {
    const std::shared_lock lock(lock_);
    return loaded_;
}

std::uint64_t PresenceMirror::count(std::string_view room) const {
    const std::shared_lock lock(lock_);
    const auto found = rooms_.find(std::string(room));
    return found == rooms_.end() ? 0 : found->second.size();
}

PresenceSnapshot PresenceMirror::snapshot(std::string_view room) const {
    const std::shared_lock lock(lock_);
    PresenceSnapshot snapshot;
    snapshot.version = version_;
    const auto found = rooms_.find(std::string(room));
    if (found == rooms_.end()) {
        return snapshot;
    }
    snapshot.users.reserve(found->second.size());
    for (const auto& [member, info] : found->second) {
        snapshot.users.push_back(member);
        if (!info.empty()) {
            snapshot.info.emplace_back(member, info);
        }
    }
    return snapshot;
}

std::size_t PresenceMirror::members() const {
    const std::shared_lock lock(lock_);
    std::size_t total = 0;
    for (const auto& [room, members] : rooms_) {
        total += members.size();
    }
    return total;
}

}  // namespace stampede::rooms
