// Message: one published message, immutable after make(), shared by reference between every
// subscriber queue, every shard and the relay. Safe to read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/frame.hpp"

namespace stampede::protocol {

struct Message;
using MessagePtr = std::shared_ptr<const Message>;

/// What a room stamps on each message published to it (DESIGN.md "Rooms"): its number in the
/// room and the history's epoch, carried as `x-seq` and `x-epoch`; in a room with presence,
/// its member count (`x-user-count`), and on a presence notice its event and principal
/// (`x-presence`, `x-user`). No sender can set any of these itself.
struct RoomStamp {
    std::uint64_t seq = 0;  // 0: not numbered (no x-seq, x-epoch): ephemeral, or a notice
    std::string_view epoch;
    std::optional<std::uint64_t> user_count;  // x-user-count
    std::string_view presence;                // x-presence: enter | leave | snapshot; "" none
    std::string_view user;                    // x-user, with x-presence ("" none)
    std::uint64_t presence_version = 0;       // Message::presence_version (no header)
};

struct Message : std::enable_shared_from_this<Message> {
    std::string destination;
    std::string id;  // message-id, unique per node
    std::string origin_node;
    /// Sender headers passed through to MESSAGE (content-type included when given); excludes
    /// destination, message-id, subscription, ack, receipt, transaction, content-length,
    /// x-sender. Order as received.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string sender;  // x-sender principal; empty = anonymous (no x-sender header)
    std::string body;
    bool body_is_utf8 = true;
    /// Set by the broker on a queue message given back (NACK, UNSUBSCRIBE, disconnect):
    /// its MESSAGE then carries `redelivered:true`, which no sender can set itself.
    bool redelivered = false;
    /// How many times the broker gave this message back (NACK, UNSUBSCRIBE, disconnect) after
    /// a client saw it; its MESSAGE carries `x-redeliveries:<n>` when n > 0.
    std::uint32_t redeliveries = 0;
    /// When make() built it (ms since the epoch): a queue's ttl_ms counts from here.
    std::int64_t created_ms = 0;
    /// The sender's `expires` header (ms since the epoch); 0 = none (absent, 0 or not a number).
    std::int64_t expires_ms = 0;
    /// Made by dead_letter(): such a message is dropped, never dead-lettered again.
    bool dead_lettered = false;
    /// A room message's `x-seq` (1, 2, ...); 0 = not numbered (not a room, or ephemeral).
    std::uint64_t seq = 0;
    /// A presence event for /stampede/presence/ watchers: its change number (rooms/presence.hpp),
    /// so a watcher skips the changes its snapshot already had; 0 = not one.
    std::uint64_t presence_version = 0;
    /// Pre-encoded header block shared by every delivery, one per Version (index = Version):
    /// "destination:..\nmessage-id:..\n[x-sender:..\n]<sender headers>\ncontent-length:N\n".
    /// The writer adds "MESSAGE\nsubscription:..\n[ack:..\n]" before it and "\n<body>\0" after.
    std::array<std::string, 3> encoded_headers;

    /// Builds the message and its encoded header blocks. `headers` are the SEND frame's headers
    /// (the excluded ones are dropped here, and so are x-seq, x-epoch, x-replay, x-user-count
    /// and x-presence, which only the broker sets). With `room`, the message carries what the
    /// stamp holds.
    static MessagePtr make(std::string_view destination, std::string id, std::string origin_node,
                           std::string sender, const std::vector<Header>& headers,
                           std::string_view body, const RoomStamp* room = nullptr);
    /// Same, from owned header pairs (relay, HTTP publish).
    static MessagePtr make(std::string_view destination, std::string id, std::string origin_node,
                           std::string sender,
                           std::vector<std::pair<std::string, std::string>> headers,
                           std::string body, const RoomStamp* room = nullptr);
    /// The same message (same id) as a redelivery: `redelivered:true` and
    /// `x-redeliveries:<n+1>` among its headers.
    MessagePtr redelivery() const;
    /// A new message (id `id`) to `destination` with this one's body and sender headers, plus
    /// `x-death-reason:<reason>`, `x-redeliveries:<n>` and `x-original-destination`.
    MessagePtr dead_letter(std::string_view destination, std::string id,
                           std::string_view reason) const;
};

}  // namespace stampede::protocol
