// RoomRegistry: the node's rooms (DESIGN.md "Rooms"): which topics are rooms, each room's
// sequence numbers, and the history it keeps. One per node, shared by every shard.
//
// Each room has its own lock. Numbering a message, keeping it, queueing it to the durable log
// (file backend) and handing it to the other shards all happen under that lock, so every
// shard's inbox, and the log, receive a room's messages in sequence order. A replay is read
// under the same lock: it holds exactly the messages numbered up to `latest`, and every later
// one reaches the subscriber's shard after the subscription is in place, so a subscriber that
// skips live messages numbered up to `latest` sees no gap and no duplicate.
//
// History lives in memory (the `memory` backend loses it on restart, and the epoch changes);
// the `file` backend adds an append-only log that is read back at start.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/room_pattern.hpp"
#include "rooms/members.hpp"
#include "rooms/offline_tracker.hpp"
#include "rooms/presence.hpp"
#include "rooms/presence_mirror.hpp"
#include "storage/history_log.hpp"

namespace stampede::rooms {

struct RoomRule {
    protocol::RoomPattern pattern;
    std::size_t max_messages = 100;
    std::int64_t max_age_ms = 86400000;
    PresenceRule presence;
};

/// What a SUBSCRIBE with x-history or x-since-seq receives before live messages.
struct Replay {
    std::vector<protocol::MessagePtr> messages;  // oldest first
    std::uint64_t latest = 0;                    // the room's last number (0: none yet)
    bool recovered = false;                      // x-since-seq: nothing after S was lost
};

enum class AppendResult {
    Delivered,  // numbered, kept and handed on; nothing more to wait for (memory backend)
    Storing,    // also: the durable log will call `stored` when it has it on disk
    Refused,    // the durable log is full or stopped: nothing was numbered or delivered
};

/// x-recovered (DESIGN.md "Rooms"): true exactly when the client's epoch is the history's
/// and its last number `since` lies within [first kept - 1, latest].
bool is_recovered(std::string_view asked_epoch, std::string_view epoch, std::uint64_t since,
                  std::uint64_t first_kept, std::uint64_t latest);

enum class RoomStorage {
    Local,  // memory or file: numbered and kept here
    Redis,  // numbered and kept in Redis (cluster/relay): this registry only knows the rules
};

class RoomRegistry {
   public:
    /// `log` null: the memory backend (a new random epoch every start).
    RoomRegistry(std::vector<RoomRule> rules, std::unique_ptr<storage::HistoryLog> log,
                 RoomStorage storage = RoomStorage::Local);
    ~RoomRegistry();
    RoomRegistry(const RoomRegistry&) = delete;
    RoomRegistry& operator=(const RoomRegistry&) = delete;

    /// The first rule whose pattern matches the concrete destination, or null: not a room.
    const RoomRule* rule_for(std::string_view destination) const;
    bool has_rooms() const { return !rules_.empty(); }
    /// Who is in the rooms with presence enabled (presence.hpp).
    Presence& presence() { return presence_; }
    const Presence& presence() const { return presence_; }
    /// On a cluster: the cluster's presence (presence_mirror.hpp), which counts and snapshots
    /// read; this node's own sessions are still counted by presence().
    PresenceMirror& mirror() { return mirror_; }
    void set_cluster_presence(bool on) { cluster_presence_ = on; }
    bool cluster_presence() const { return cluster_presence_; }
    /// The room's members now: the cluster's on a cluster, else this node's.
    std::uint64_t member_count(std::string_view room) const {
        return cluster_presence_ ? mirror_.count(room) : presence_.count(room);
    }
    PresenceSnapshot presence_snapshot(std::string_view room) const {
        return cluster_presence_ ? mirror_.snapshot(room) : presence_.snapshot(room);
    }
    /// Who is a member of which room, and how far each has read (members.hpp).
    Members& members() { return members_; }
    const Members& members() const { return members_; }
    /// Who is away, for the offline hook (offline_tracker.hpp); off unless enabled.
    OfflineTracker& offline() { return offline_; }
    const std::string& epoch() const { return epoch_; }
    /// A SEND's RECEIPT waits for storage (the file log, or Redis).
    bool durable() const { return log_ != nullptr || storage_ == RoomStorage::Redis; }
    /// Numbering, history and replays are Redis's (the relay's), not this registry's.
    bool in_redis() const { return storage_ == RoomStorage::Redis; }

    /// File backend, before start(): reads the log back into the rooms (records of rooms no
    /// rule matches any more, or older than their rule keeps, are dropped). Warnings about a
    /// cut tail go to `warnings`.
    void recover(std::vector<std::string>& warnings);
    /// Starts the durable log's writer (and its compaction from these rooms).
    void start();
    /// Completes and syncs what the log still has queued. Idempotent.
    void stop();

    /// Numbers a message for `room` (of `rule`): under the room's lock, `make` builds it with
    /// its stamp, the room keeps it, the log queues it (`stored` runs on the log's thread when
    /// it is written), and `in_order` hands it on (to the other shards). Returns the message
    /// (null when Refused).
    protocol::MessagePtr append(
        std::string_view room, const RoomRule& rule,
        const std::function<protocol::MessagePtr(const protocol::RoomStamp&)>& make,
        const std::function<void(const protocol::MessagePtr&)>& in_order,
        storage::AppendDone stored, AppendResult& result);

    /// The last `count` kept messages of `room`.
    Replay last(std::string_view room, const RoomRule& rule, std::size_t count);
    /// Every kept message after `seq`, when `epoch` is this history's; `recovered` exactly
    /// when the epoch matches and seq lies within [first kept - 1, latest].
    Replay since(std::string_view room, const RoomRule& rule, std::uint64_t seq,
                 std::string_view epoch);
    /// The room's last number now (for a RECEIPT's x-seq).
    std::uint64_t latest(std::string_view room) const;

    /// Messages kept in every room (metrics, tests).
    std::size_t kept_messages() const;
    /// Messages numbered here (memory and file backends).
    std::uint64_t numbered() const { return numbered_.load(std::memory_order_relaxed); }
    /// Room messages storage refused or failed to write (the senders got ERROR).
    std::uint64_t storage_errors() const { return storage_errors_.load(std::memory_order_relaxed); }
    /// Counts one (the redis backend reports its own through here too) and tells `reporter`.
    void count_storage_error(std::string_view what);
    /// Called (any thread) on each storage error; the server logs it, rate-limited.
    void on_storage_error(std::function<void(std::string_view)> reporter) {
        reporter_ = std::move(reporter);
    }

   private:
    struct Kept {
        protocol::MessagePtr message;
        std::int64_t time_ms = 0;
    };
    struct Room {
        mutable std::mutex lock;
        std::uint64_t last_seq = 0;
        std::deque<Kept> kept;  // oldest first, numbers consecutive
    };

    Room* find(std::string_view room) const;
    Room& find_or_add(std::string_view room);
    static void trim(Room& room, const RoomRule& rule, std::int64_t now_ms);
    std::vector<storage::HistoryRecord> snapshot() const;

    std::vector<RoomRule> rules_;
    std::unique_ptr<storage::HistoryLog> log_;
    RoomStorage storage_ = RoomStorage::Local;
    std::string epoch_;
    mutable std::shared_mutex rooms_lock_;  // the map; each room has its own lock
    std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
    bool stopped_ = false;
    std::atomic<std::uint64_t> numbered_{0};
    std::atomic<std::uint64_t> storage_errors_{0};
    std::function<void(std::string_view)> reporter_;
    Presence presence_;
    PresenceMirror mirror_;
    bool cluster_presence_ = false;
    Members members_;
    OfflineTracker offline_;
};

/// A fresh random epoch (16 hex digits).
std::string make_epoch();

}  // namespace stampede::rooms
