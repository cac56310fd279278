// Session: SUBSCRIBE to a room (DESIGN.md "Rooms"): x-history and x-since-seq replays, and
// the RECEIPT that tells where the replay ended. Shard thread only.
#include <fmt/format.h>

#include <charconv>

#include "core/session.hpp"
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
    const auto history = frame.header("x-history");
    const auto since = frame.header("x-since-seq");
    std::optional<std::uint64_t> history_count;
    std::optional<std::uint64_t> since_seq;
    if (history && !(history_count = parse_count(*history))) {
        fail(CloseReason::BadHistoryHeader,
             fmt::format("x-history '{}' is not a non-negative integer", *history), &frame);
        return false;
    }
    if (since && !(since_seq = parse_count(*since))) {
        fail(CloseReason::BadHistoryHeader,
             fmt::format("x-since-seq '{}' is not a non-negative integer", *since), &frame);
        return false;
    }
    rooms::RoomRegistry& rooms = host_.rooms();
    rooms::Replay replay;
    const bool recovering = since_seq.has_value();
    if (recovering) {
        // A missing x-epoch never matches: the client cannot know what its numbers meant.
        const auto epoch = frame.header("x-epoch");
        replay =
            rooms.since(sub.destination, rule, *since_seq, epoch ? *epoch : std::string_view());
    } else if (history_count && *history_count > 0) {
        replay = rooms.last(sub.destination, rule, *history_count);
    } else {
        replay.latest = rooms.latest(sub.destination);
    }
    if (recovering || (history_count && *history_count > 0)) {
        // Live messages numbered up to `latest` are in the replay, or were published before
        // it was taken: the subscription skips them when they arrive from another shard.
        sub.replay_through = replay.latest;
        for (const protocol::MessagePtr& message : replay.messages) {
            outbound_.push_replay(LocalMessage(message), &sub,
                                  sub.ack == AckMode::Auto ? 0 : next_ack_id(false), version_);
        }
    }
    if (const auto receipt = frame.header("receipt")) {
        const std::string latest = std::to_string(replay.latest);
        std::vector<protocol::OwnedHeader> headers = {
            {"receipt-id", *receipt}, {"x-epoch", rooms.epoch()}, {"x-seq", latest}};
        if (recovering) {
            headers.push_back({"x-recovered", replay.recovered ? "true" : "false"});
        }
        std::string out;
        protocol::append_frame(out, protocol::Command::Receipt, headers, {}, version_, false);
        outbound_.push_control(std::move(out));
    }
    if (outbound_.pending_bytes() > host_.config().limits.max_pending_bytes_per_connection) {
        enforce_pending_limit();
    }
    wake_writer();
    return true;
}

}  // namespace stampede::broker
