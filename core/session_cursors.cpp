// Session: read cursors, unread counts and membership (DESIGN.md "Rooms", "Members" and
// "Read cursors"). SEND /stampede/read/<room> with x-seq marks the room read, SEND
// /stampede/leave/<room> ends the membership, SUBSCRIBE /stampede/unread receives the counts.
// Cursors are node-wide (rooms/members.hpp); each change is announced to every shard, whose
// UnreadWatchers mark the principal's watchers there. Kept with the memory backend only.
// Shard thread only.
#include <fmt/format.h>

#include <charconv>

#include "core/publish.hpp"
#include "core/session.hpp"
#include "core/unread_watchers.hpp"
#include "protocol/destination.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;
using protocol::Frame;

namespace {

// Coalescing: a busy room must not make every member's watcher a message per message; one
// update per watcher per interval carries every room changed meanwhile.
constexpr std::chrono::milliseconds kUnreadInterval{100};

std::optional<std::uint64_t> parse_seq(std::optional<std::string_view> text) {
    if (!text || text->empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (error != std::errc() || end != text->data() + text->size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<std::string> Session::cursors_unsupported() const {
    const rooms::RoomRegistry& rooms = host_.rooms();
    if (!rooms.durable()) {
        return std::nullopt;
    }
    return rooms.in_redis() ? "redis" : "file";
}

void Session::join_room(const std::string& room) {
    if (principal_.anonymous || cursors_unsupported()) {
        return;  // anonymous sessions count in presence but are never members
    }
    rooms::RoomRegistry& rooms = host_.rooms();
    if (rooms.members().join(principal_.name, room, rooms.latest(room))) {
        announce_member_change(room);
    }
}

void Session::announce_member_change(const std::string& room) {
    broker::announce_member_change(host_, principal_.name, room);
}

bool Session::handle_cursor_send(const Frame& frame, std::string_view destination) {
    const bool read = destination.starts_with(kReadPrefix);
    if (!read && !destination.starts_with(kLeavePrefix)) {
        return false;
    }
    if (const auto backend = cursors_unsupported()) {
        fail(CloseReason::NotSupported,
             fmt::format("read cursors are kept in memory only for now: not built for the {} "
                         "backend",
                         *backend),
             &frame);
        return true;
    }
    if (principal_.anonymous) {
        fail(CloseReason::AccessDenied,
             fmt::format("'{}': an anonymous session is never a member of a room", destination),
             &frame);
        return true;
    }
    // "/stampede/read/topic/room.42" names "/topic/room.42".
    std::string room = "/";
    room += destination.substr((read ? kReadPrefix : kLeavePrefix).size());
    const auto& config = host_.config();
    const auto where = protocol::classify(room, config.destinations.topic_prefixes,
                                          config.destinations.queue_prefixes);
    if (where.kind != protocol::DestinationKind::Topic || protocol::is_pattern(where.name) ||
        !host_.rooms().has_rooms() || host_.rooms().rule_for(room) == nullptr) {
        fail(CloseReason::BadDestination, fmt::format("'{}': {} is not a room", destination, room),
             &frame);
        return true;
    }
    // A room's cursor is as private as its messages: subscribe on the room.
    if (!allowed(auth::AclAction::Subscribe, room)) {
        fail(CloseReason::AccessDenied,
             fmt::format("sending to {} needs subscribe on {}, which is not allowed", destination,
                         room),
             &frame);
        return true;
    }
    rooms::RoomRegistry& rooms = host_.rooms();
    if (!read) {
        // Leaving a room one is not a member of is not an error: the result is the same.
        if (rooms.members().leave(principal_.name, room)) {
            announce_member_change(room);
        }
        send_receipt(frame);
        return true;
    }
    const auto seq = parse_seq(frame.header("x-seq"));
    if (!seq) {
        fail(CloseReason::BadHistoryHeader,
             fmt::format("SEND {} needs x-seq:<n>, a room number (0, 1, 2, ...)", destination),
             &frame);
        return true;
    }
    const rooms::MarkResult marked =
        rooms.members().mark_read(principal_.name, room, *seq, rooms.latest(room));
    if (marked == rooms::MarkResult::NotMember) {
        fail(CloseReason::BadDestination,
             fmt::format("{} is not a member of {}: a principal becomes one by subscribing to it",
                         principal_.name, room),
             &frame);
        return true;
    }
    if (marked == rooms::MarkResult::Moved) {
        announce_member_change(room);
    }
    send_receipt(frame);
    return true;
}

void Session::subscribe_unread(const Frame& frame, std::string_view id, AckMode ack) {
    if (const auto backend = cursors_unsupported()) {
        return fail(CloseReason::NotSupported,
                    fmt::format("read cursors are kept in memory only for now: not built for "
                                "the {} backend",
                                *backend),
                    &frame);
    }
    if (principal_.anonymous) {
        return fail(CloseReason::AccessDenied,
                    fmt::format("{}: an anonymous session is never a member of a room, so it "
                                "has no unread counts",
                                kUnreadDestination),
                    &frame);
    }
    auto sub = std::make_unique<Subscription>();
    sub->session = this;
    sub->id = std::string(id);
    sub->message_head = protocol::message_head(sub->id, version_);
    sub->destination = std::string(kUnreadDestination);
    sub->kind = protocol::DestinationKind::Topic;
    sub->name = sub->destination;
    sub->ack = ack;
    sub->unread_watch = true;
    Subscription* raw = sub.get();
    subscriptions_.emplace(raw->id, std::move(sub));
    // Indexed before the snapshot is read: every later change reaches it as an update.
    std::string body = host_.publisher().unread().add(raw, principal_.name, host_.rooms());
    std::vector<std::pair<std::string, std::string>> headers = {
        {"content-type", "application/json"}};
    protocol::MessagePtr message =
        protocol::Message::make(kUnreadDestination, host_.make_message_id(), host_.node_id(), "",
                                std::move(headers), std::move(body), nullptr);
    push_message(LocalMessage(std::move(message)), *raw,
                 raw->ack == AckMode::Auto ? 0 : next_ack_id(false));
    send_receipt(frame);
}

void Session::unread_changed(const Subscription& /*sub*/) {
    if (unread_due_ || state_ != State::Connected) {
        return;  // already due: that update will carry this room too
    }
    unread_due_ = std::max(Clock::now(), unread_sent_ + kUnreadInterval);
    arm_timer();
}

void Session::flush_unread() {
    unread_due_.reset();
    unread_sent_ = Clock::now();
    UnreadWatchers& watchers = host_.publisher().unread();
    for (const auto& [id, sub] : subscriptions_) {
        if (!sub->unread_watch) {
            continue;
        }
        std::string body = watchers.take_update(sub.get(), host_.rooms());
        if (body.empty()) {
            continue;
        }
        std::vector<std::pair<std::string, std::string>> headers = {
            {"content-type", "application/json"}};
        protocol::MessagePtr message =
            protocol::Message::make(kUnreadDestination, host_.make_message_id(), host_.node_id(),
                                    "", std::move(headers), std::move(body), nullptr);
        push_message(LocalMessage(std::move(message)), *sub,
                     sub->ack == AckMode::Auto ? 0 : next_ack_id(false));
    }
}

}  // namespace stampede::broker
