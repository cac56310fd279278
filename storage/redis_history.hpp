// Room history in Redis (the `redis` storage backend): every node sees one history, and the
// sequence number is assigned in Redis, so all nodes agree on it and on the order.
//
// Per room, under <prefix>:
//   <prefix>:seq:<room>   the room's last number (INCR; never expires, so no number is reused)
//   <prefix>:h:<room>     a Stream of its kept messages, field `e` = the stamped envelope,
//                         `s` = its number; trimmed by MAXLEN (max_messages) and MINID (age)
//   <prefix>:epoch        the history's epoch, made once by the first publisher
// One script numbers, appends and PUBLISHes a room message to its relay channel in one step
// (it replaces the relay's own PUBLISH for room messages, so nothing arrives twice, and
// PUBLISH order is number order); another reads what a SUBSCRIBE replays. Pure: argv
// builders and reply parsing; the connection is the caller's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace stampede::storage {

/// The EVAL argv of a room publish. `envelope` is the relay envelope of the unnumbered message
/// (it starts with "MESSAGE\n"); the script inserts `x-seq` and `x-epoch` after that line.
/// `new_epoch` is used only when Redis has none yet. `dedupe` non-empty (a backend publish,
/// which every node receives alike): only the first script run with it within 5 s numbers
/// the message; the others get a duplicate reply and deliver nothing.
std::vector<std::string> room_publish_command(std::string_view prefix, std::string_view room,
                                              std::string_view channel, std::string_view envelope,
                                              std::uint64_t max_messages, std::int64_t max_age_ms,
                                              std::string_view new_epoch,
                                              std::string_view dedupe = {});

struct RoomPublishReply {
    std::uint64_t seq = 0;
    std::string epoch;
};
/// Null when the reply is an error, a duplicate, or not the script's.
std::optional<RoomPublishReply> parse_room_publish(const redisReply* reply);
/// The publish script's answer when another node numbered the same backend publish.
bool is_duplicate_publish(const redisReply* reply);

/// The EVAL argv of a replay read: the last `count` kept messages, or (since) every kept
/// message after `since_seq` (at most max_messages). `new_epoch` becomes the history's epoch
/// when Redis has none yet, so a reader always learns the epoch of what follows.
std::vector<std::string> room_read_command(std::string_view prefix, std::string_view room,
                                           bool since, std::uint64_t count_or_seq,
                                           std::uint64_t max_messages, std::int64_t max_age_ms,
                                           std::string_view new_epoch);

struct RoomReadReply {
    std::string epoch;
    std::uint64_t latest = 0;
    std::uint64_t first = 0;             // the oldest kept number; latest + 1 when none is kept
    std::vector<std::string> envelopes;  // oldest first, stamped
};
std::optional<RoomReadReply> parse_room_read(const redisReply* reply);

}  // namespace stampede::storage
