// The offline hook's records and how they travel (DESIGN.md "Rooms", "Offline hook"): one
// record per room message for the members it found away, the JSON body of a POST, a
// message's preview, and the batcher that decides when a batch leaves. Pure, no I/O, no
// clock of its own (times are passed in): the webhook thread drives it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stampede::rooms {

/// One room message and the members it is reported for.
struct HookRecord {
    std::string room;
    std::uint64_t seq = 0;
    std::vector<std::string> users;  // sorted, no repeats
    std::string preview;
    bool operator==(const HookRecord&) const = default;
};

/// The longest preview: a push notification shows a line, not the message.
inline constexpr std::size_t kMaxPreviewBytes = 140;

/// The start of a message body for a push notification: at most `max_bytes` bytes, cut at a
/// UTF-8 character boundary; "" for a body that is not UTF-8 text (`utf8` false).
std::string make_preview(std::string_view body, bool utf8,
                         std::size_t max_bytes = kMaxPreviewBytes);

/// The POST body: `{"room":..,"seq":..,"users":[..],"preview":..}` for one record, a JSON
/// array of such objects for several.
std::string hook_body(const std::vector<HookRecord>& records);

/// Collects records into batches: a batch leaves when it holds `max_records`, or `window_ms`
/// after its first record came, whichever is first.
class HookBatcher {
   public:
    HookBatcher(std::size_t max_records, std::int64_t window_ms)
        : max_records_(max_records), window_ms_(window_ms) {}

    /// Records that became ready at `now_ms`.
    void add(std::vector<HookRecord> records, std::int64_t now_ms);
    /// Whether a batch should leave now.
    bool due(std::int64_t now_ms) const;
    /// When the waiting batch is due (nullopt: nothing waits).
    std::optional<std::int64_t> deadline() const;
    /// The next batch (at most max_records, oldest first); the rest keep their own times.
    std::vector<HookRecord> take();
    std::size_t size() const { return waiting_.size(); }
    bool empty() const { return waiting_.empty(); }

   private:
    struct Waiting {
        HookRecord record;
        std::int64_t since_ms = 0;
    };
    std::size_t max_records_;
    std::int64_t window_ms_;
    std::deque<Waiting> waiting_;
};

/// The delay before retry number `attempt` (1, 2, ...) of a failed POST: `base_ms` doubled
/// per attempt, capped at `cap_ms`, with `jitter` in [0, 1) taking off up to a fifth so a
/// fleet does not retry in step.
std::int64_t retry_delay_ms(unsigned attempt, std::int64_t base_ms, std::int64_t cap_ms,
                            double jitter);

}  // namespace stampede::rooms
