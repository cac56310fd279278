// OfflineTracker: who is away, per principal, for the offline hook (DESIGN.md "Rooms",
// "Offline hook"), and which room messages to report for them. One per node, owned by the
// RoomRegistry and shared by every shard; the webhook thread takes what is ready.
//
// A principal is online while it has a session (a connected, non-anonymous STOMP session) on
// this node. When its last one closes, a debounce window of `debounce_ms` starts; when it
// ends and the principal has not come back, it is offline. For a numbered room message,
// each member of the room other than the sender is:
//   - online: not reported;
//   - in its window: the message waits with the member; if the member comes back before the
//     window ends, it is dropped (no push for a blip); if not, it is reported when the
//     window ends, in a record of its own (users: the members whose windows ended together);
//   - offline: reported at once, in the message's record.
// So one message may be reported in more than one record, each naming different users.
//
// Bounded: at most `max_ready` records wait for the webhook thread and `max_pending` messages
// per member in its window; the excess is dropped and counted. One lock; a message costs one
// hash lookup per member of its room. Thread-safe; does nothing until enable().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rooms/hook_batch.hpp"
#include "rooms/members.hpp"

namespace stampede::rooms {

/// The clock every caller of the tracker passes its times in (ms of steady_clock).
inline std::int64_t steady_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

class OfflineTracker {
   public:
    /// Turns the tracker on (before any session opens): windows last `debounce_ms`.
    void enable(std::int64_t debounce_ms, std::size_t max_ready = 10000,
                std::size_t max_pending = 100);
    bool enabled() const { return enabled_.load(std::memory_order_acquire); }
    /// Called (under the tracker's lock: keep it short) when records become ready and none
    /// were waiting: the webhook thread's wake-up.
    void on_ready(std::function<void()> listener);

    void session_opened(std::string_view principal, std::int64_t now_ms);
    void session_closed(std::string_view principal, std::int64_t now_ms);

    /// A numbered room message (not ephemeral, not a presence notice) from `sender` ("" for
    /// none): its report for the members of `room` in `members` that are away.
    void message(std::string_view room, std::uint64_t seq, std::string_view sender,
                 std::string_view preview, const Members& members, std::int64_t now_ms);

    /// The webhook thread: up to `max` of the records ready by `now_ms`, oldest first
    /// (windows that ended by then first move their members' messages to the ready ones).
    /// What it leaves stays in the bounded queue.
    std::vector<HookRecord> take_ready(std::int64_t now_ms, std::size_t max = SIZE_MAX);
    /// Records waiting for the webhook thread.
    std::size_t ready() const;
    /// When the earliest window still running ends (nullopt: none runs).
    std::optional<std::int64_t> next_window_end() const;

    std::uint64_t reported() const { return reported_.load(std::memory_order_relaxed); }
    std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
    /// Messages not reported because their member came back within its window.
    std::uint64_t returned() const { return returned_.load(std::memory_order_relaxed); }

   private:
    struct Pending {
        std::string room;
        std::uint64_t seq = 0;
        std::string preview;
    };
    struct User {
        std::uint32_t sessions = 0;
        std::int64_t window_end = 0;  // with no session: when it becomes offline
        std::vector<std::shared_ptr<const Pending>> pending;
    };

    void push_ready(HookRecord record, bool& was_empty);
    void expire_windows(std::int64_t now_ms, bool& was_empty);

    std::atomic<bool> enabled_{false};
    std::int64_t debounce_ms_ = 0;
    std::size_t max_ready_ = 0;
    std::size_t max_pending_ = 0;
    std::function<void()> listener_;

    mutable std::mutex lock_;
    std::unordered_map<std::string, User> users_;
    // Windows in the order they started, so in end order (the debounce is one length).
    std::deque<std::pair<std::int64_t, std::string>> windows_;
    std::deque<HookRecord> ready_;
    std::atomic<std::uint64_t> reported_{0};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> returned_{0};
};

}  // namespace stampede::rooms
