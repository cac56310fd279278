// Session: SUBSCRIBE to a room (DESIGN.md "Rooms"): x-history and x-since-seq replays, and
// the RECEIPT that tells where the replay ended; from this node's registry (memory, file) or
// from Redis (the redis backend), with live messages held until Redis answers. Shard thread
// only.
#include <fmt/format.h>

#include <charconv>

#include "core/session.hpp"
#include "protocol/envelope.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {

using protocol::CloseReason;

namespace {

// A non-negative decimal integer, nothing else.
std::optional<std::uint64_t> parse_count(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

bool Session::subscribe_to_room(Subscription& sub, const protocol::Frame& frame,
                                const rooms::RoomRule& rule) {
    RoomRequest request;
    if (const auto history = frame.header("x-history")) {
        if (!(request.history = parse_count(*history))) {
            fail(CloseReason::BadHistoryHeader,
                 fmt::format("x-history '{}' is not a non-negative integer", *history), &frame);
            return false;
        }
    }
    if (const auto since = frame.header("x-since-seq")) {
        if (!(request.since = parse_count(*since))) {
            fail(CloseReason::BadHistoryHeader,
                 fmt::format("x-since-seq '{}' is not a non-negative integer", *since), &frame);
            return false;
        }
    }
    if (const auto epoch = frame.header("x-epoch")) {
        request.epoch = std::string(*epoch);
    }
    if (const auto receipt = frame.header("receipt")) {
        request.receipt = std::string(*receipt);
    }
    rooms::RoomRegistry& rooms = host_.rooms();
    if (rooms.in_redis()) {
        if (request.replays() || request.receipt) {
            replay_from_redis(sub, rule, std::move(request));
        }
        return true;
    }
    rooms::Replay replay;
    if (request.since) {
        replay = rooms.since(sub.destination, rule, *request.since, request.epoch);
    } else if (request.replays()) {
        replay = rooms.last(sub.destination, rule, *request.history);
    } else {
        replay.latest = rooms.latest(sub.destination);
    }
    emit_replay(sub, request, replay, rooms.epoch());
    return true;
}

void Session::replay_from_redis(Subscription& sub, const rooms::RoomRule& rule,
                                RoomRequest request) {
    sub.replay_pending = true;
    // A later SUBSCRIBE may reuse this id while the read is out: the answer must find the
    // subscription that asked, not one that merely has the same id.
    sub.replay_ticket = ++replay_tickets_;
    const bool since = request.since.has_value();
    const std::uint64_t count_or_seq = since ? *request.since : request.history.value_or(0);
    host_.read_room_in_redis(
        sub.destination, rule, since, count_or_seq,
        [&host = host_, id = id_, sub_id = sub.id, ticket = sub.replay_ticket,
         request = std::move(request)](std::optional<storage::RoomReadReply> reply) {
            if (Session* session = host.find_session(id)) {
                session->finish_redis_replay(sub_id, ticket, request, reply);
            }
        });
}

void Session::finish_redis_replay(const std::string& sub_id, std::uint64_t ticket,
                                  const RoomRequest& request,
                                  const std::optional<storage::RoomReadReply>& reply) {
    const auto it = subscriptions_.find(sub_id);
    if (it == subscriptions_.end() || !it->second->replay_pending ||
        it->second->replay_ticket != ticket || state_ != State::Connected) {
        return;  // unsubscribed (or gone) meanwhile
    }
    Subscription& sub = *it->second;
    if (!reply) {
        if (request.replays()) {
            return fail(CloseReason::StorageUnavailable,
                        fmt::format("Redis, which keeps {}'s history, did not answer: nothing "
                                    "can be replayed",
                                    sub.destination),
                        nullptr, request.receipt);
        }
        // Subscribed all the same: live messages need no history.
        if (request.receipt) {
            send_receipt_id(*request.receipt);
        }
        return release_held(sub);
    }
    rooms::Replay replay;
    replay.latest = reply->latest;
    if (request.since) {
        replay.recovered = rooms::is_recovered(request.epoch, reply->epoch, *request.since,
                                               reply->first, reply->latest);
    }
    const bool same_history = !request.since || request.epoch == reply->epoch;
    if (request.replays() && same_history) {
        for (const std::string& envelope : reply->envelopes) {
            protocol::MessagePtr message = protocol::decode_envelope(envelope);
            if (message && (!request.since || message->seq > *request.since)) {
                replay.messages.push_back(std::move(message));
            }
        }
    }
    emit_replay(sub, request, replay, reply->epoch);
}

void Session::emit_replay(Subscription& sub, const RoomRequest& request,
                          const rooms::Replay& replay, std::string_view epoch) {
    // Live messages numbered up to `latest` are in the replay, or were published before it
    // was taken: the subscription skips them when they arrive.
    if (request.replays()) {
        sub.replay_through = replay.latest;
        for (const protocol::MessagePtr& message : replay.messages) {
            outbound_.push_replay(LocalMessage(message), &sub,
                                  sub.ack == AckMode::Auto ? 0 : next_ack_id(false), version_);
        }
    }
    if (request.receipt) {
        const std::string latest = std::to_string(replay.latest);
        std::vector<protocol::OwnedHeader> headers = {
            {"receipt-id", *request.receipt}, {"x-epoch", epoch}, {"x-seq", latest}};
        if (request.since) {
            headers.push_back({"x-recovered", replay.recovered ? "true" : "false"});
        }
        std::string out;
        protocol::append_frame(out, protocol::Command::Receipt, headers, {}, version_, false);
        outbound_.push_control(std::move(out));
    }
    // What arrived while Redis answered, after the RECEIPT: the receipt marks where the
    // replay ends and live messages begin.
    release_held(sub);
    if (outbound_.pending_bytes() > host_.config().limits.max_pending_bytes_per_connection) {
        enforce_pending_limit();
    }
    wake_writer();
}

void Session::release_held(Subscription& sub) {
    sub.replay_pending = false;
    std::vector<LocalMessage> held;
    held.swap(sub.held);
    sub.held_bytes = 0;
    for (const LocalMessage& message : held) {
        deliver_topic(message, sub);  // skips what the replay had
    }
}

void Session::hold_until_replayed(const LocalMessage& message, const Subscription& sub) {
    // Bounded like what waits to be written: a room busier than Redis is quick ends the
    // subscriber as a slow consumer rather than growing without limit.
    sub.held_bytes += message->body.size() + 64;
    if (sub.held_bytes > host_.config().limits.max_pending_bytes_per_connection) {
        return fail(
            CloseReason::SlowConsumer,
            fmt::format("more than {} bytes arrived in {} while its history was read",
                        host_.config().limits.max_pending_bytes_per_connection, sub.destination));
    }
    sub.held.push_back(message);
}

}  // namespace stampede::broker
