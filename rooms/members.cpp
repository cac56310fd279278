// See members.hpp.
#include "rooms/members.hpp"

#include <algorithm>

namespace stampede::rooms {

bool Members::join(std::string_view principal, std::string_view room, std::uint64_t latest) {
    const std::lock_guard guard(lock_);
    Cursors& cursors = principals_[std::string(principal)];
    if (cursors.find(room) != cursors.end()) {
        return false;
    }
    cursors.emplace(std::string(room), latest);
    rooms_[std::string(room)].emplace(principal);
    return true;
}

MarkResult Members::mark_read(std::string_view principal, std::string_view room, std::uint64_t n,
                              std::uint64_t latest) {
    const std::lock_guard guard(lock_);
    const auto found = principals_.find(std::string(principal));
    if (found == principals_.end()) {
        return MarkResult::NotMember;
    }
    const auto cursor = found->second.find(room);
    if (cursor == found->second.end()) {
        return MarkResult::NotMember;
    }
    // Capped: a client cannot read ahead of what the room has numbered.
    const std::uint64_t target = std::min(n, latest);
    if (target <= cursor->second) {
        return MarkResult::Unchanged;
    }
    cursor->second = target;
    return MarkResult::Moved;
}

bool Members::leave(std::string_view principal, std::string_view room) {
    const std::lock_guard guard(lock_);
    const auto found = principals_.find(std::string(principal));
    if (found == principals_.end()) {
        return false;
    }
    const auto cursor = found->second.find(room);
    if (cursor == found->second.end()) {
        return false;
    }
    found->second.erase(cursor);
    if (const auto members = rooms_.find(std::string(room)); members != rooms_.end()) {
        members->second.erase(std::string(principal));
        if (members->second.empty()) {
            rooms_.erase(members);
        }
    }
    if (found->second.empty()) {
        principals_.erase(found);  // no empty entries left behind by principals that left all
    }
    return true;
}

std::optional<std::uint64_t> Members::read_seq(std::string_view principal,
                                               std::string_view room) const {
    const std::lock_guard guard(lock_);
    const auto found = principals_.find(std::string(principal));
    if (found == principals_.end()) {
        return std::nullopt;
    }
    const auto cursor = found->second.find(room);
    if (cursor == found->second.end()) {
        return std::nullopt;
    }
    return cursor->second;
}

std::vector<std::pair<std::string, std::uint64_t>> Members::rooms_of(
    std::string_view principal) const {
    const std::lock_guard guard(lock_);
    std::vector<std::pair<std::string, std::uint64_t>> out;
    const auto found = principals_.find(std::string(principal));
    if (found != principals_.end()) {
        out.assign(found->second.begin(), found->second.end());
    }
    return out;
}

std::size_t Members::memberships() const {
    const std::lock_guard guard(lock_);
    std::size_t count = 0;
    for (const auto& [principal, cursors] : principals_) {
        count += cursors.size();
    }
    return count;
}

}  // namespace stampede::rooms
