// See unread_watchers.hpp.
#include "core/unread_watchers.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/shard_services.hpp"
#include "core/subscriber.hpp"
#include "core/subscription.hpp"
#include "protocol/notice_template.hpp"

namespace stampede::broker {

namespace {

void erase_one(std::vector<Subscription*>& subs, const Subscription* sub) {
    subs.erase(std::remove(subs.begin(), subs.end(), sub), subs.end());
}

void append_room(std::string& out, std::string_view room, const std::string& value) {
    out += out.size() > 1 ? "," : "";
    out += '"' + protocol::json_escape(room) + "\":" + value;
}

std::string counts_json(std::uint64_t read_seq, std::uint64_t last_seq) {
    return fmt::format(R"({{"unread":{},"read_seq":{},"last_seq":{}}})",
                       rooms::Members::unread(read_seq, last_seq), read_seq, last_seq);
}

}  // namespace

std::string UnreadWatchers::add(Subscription* sub, std::string_view principal,
                                const rooms::RoomRegistry& rooms) {
    Watch& watch = watches_[sub];
    watch.principal = std::string(principal);
    by_principal_[watch.principal].push_back(sub);
    std::string body = "{";
    for (const auto& [room, read_seq] : rooms.members().rooms_of(principal)) {
        index_room(sub, room);
        const std::uint64_t latest = std::max(rooms.latest(room), read_seq);
        watch.sent[room] = Sent{read_seq, latest};
        append_room(body, room, counts_json(read_seq, latest));
    }
    return body + "}";
}

void UnreadWatchers::remove(Subscription* sub) {
    const auto found = watches_.find(sub);
    if (found == watches_.end()) {
        return;
    }
    for (const std::string& room : found->second.rooms) {
        if (auto it = by_room_.find(room); it != by_room_.end()) {
            erase_one(it->second, sub);
            if (it->second.empty()) {
                by_room_.erase(it);
            }
        }
    }
    if (auto it = by_principal_.find(found->second.principal); it != by_principal_.end()) {
        erase_one(it->second, sub);
        if (it->second.empty()) {
            by_principal_.erase(it);
        }
    }
    watches_.erase(found);
}

void UnreadWatchers::index_room(Subscription* sub, const std::string& room) {
    Watch& watch = watches_[sub];
    if (watch.rooms.insert(room).second) {
        by_room_[room].push_back(sub);
    }
}

void UnreadWatchers::unindex_room(Subscription* sub, const std::string& room) {
    Watch& watch = watches_[sub];
    if (watch.rooms.erase(room) == 0) {
        return;
    }
    if (auto it = by_room_.find(room); it != by_room_.end()) {
        erase_one(it->second, sub);
        if (it->second.empty()) {
            by_room_.erase(it);
        }
    }
}

void UnreadWatchers::touch(Subscription* sub, Watch& watch, std::string_view room) {
    // Told once per batch: the session coalesces its updates, and the set keeps the rooms.
    if (watch.dirty.emplace(room).second) {
        sub->session->unread_changed(*sub);
    }
}

void UnreadWatchers::room_changed(std::string_view room) {
    const auto found = by_room_.find(std::string(room));
    if (found == by_room_.end()) {
        return;  // no watcher of a member here: the common case costs one lookup
    }
    for (Subscription* sub : found->second) {
        touch(sub, watches_[sub], room);
    }
}

void UnreadWatchers::member_changed(std::string_view principal, std::string_view room,
                                    const rooms::RoomRegistry& rooms) {
    const auto found = by_principal_.find(std::string(principal));
    if (found == by_principal_.end()) {
        return;
    }
    // Read now, not carried in the announcement: announcements from two shards may arrive in
    // either order, the registry's value is the last word.
    const bool member = rooms.members().read_seq(principal, room).has_value();
    const std::string key(room);
    for (Subscription* sub : found->second) {
        if (member) {
            index_room(sub, key);
        } else {
            unindex_room(sub, key);
        }
        touch(sub, watches_[sub], room);
    }
}

std::string UnreadWatchers::take_update(const Subscription* sub, const rooms::RoomRegistry& rooms) {
    const auto found = watches_.find(sub);
    if (found == watches_.end()) {
        return {};
    }
    Watch& watch = found->second;
    std::string body = "{";
    for (const std::string& room : watch.dirty) {
        const auto read_seq = rooms.members().read_seq(watch.principal, room);
        const auto sent = watch.sent.find(room);
        if (!read_seq) {
            if (sent != watch.sent.end()) {  // a membership that ended: the room goes away
                watch.sent.erase(sent);
                append_room(body, room, "null");
            }
            continue;
        }
        const Sent now{*read_seq, std::max(rooms.latest(room), *read_seq)};
        if (sent != watch.sent.end() && sent->second == now) {
            continue;  // told twice about one change (its message and its cursor): sent once
        }
        watch.sent[room] = now;
        append_room(body, room, counts_json(now.read_seq, now.last_seq));
    }
    watch.dirty.clear();
    return body.size() > 1 ? body + "}" : std::string();
}

}  // namespace stampede::broker
