// FailureTracker: the brute-force guard, node-wide (auth.max_failures_per_minute).
// Any thread (one mutex; touched once per credential check).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace stampede::broker {

/// Failed CONNECTs per client IP over the last minute; past the limit an IP is refused for
/// 60 s without any check. Any thread (one mutex; touched once per CONNECT).
class FailureTracker {
   public:
    using Clock = std::chrono::steady_clock;
    bool blocked(std::string_view ip, Clock::time_point now);
    /// `max_per_minute` 0 means no limit: nothing is counted, no address is ever blocked.
    /// At most `max_tracked` IPs are remembered (auth.max_tracked_ips). A new IP when that
    /// many are tracked first makes the idle ones (no failure in the last minute, not
    /// blocked) forgotten; if none is idle, the new IP's failure is not counted (see
    /// untracked()): tracked IPs and their blocks are never dropped for it.
    void record_failure(std::string_view ip, std::uint32_t max_per_minute, std::size_t max_tracked,
                        Clock::time_point now);
    std::size_t tracked();
    /// Failures not counted because the table was full of active IPs.
    std::uint64_t untracked() const { return untracked_.load(std::memory_order_relaxed); }

   private:
    struct Entry {
        std::vector<Clock::time_point> failures;  // within the last minute, oldest first
        Clock::time_point blocked_until{};
    };
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::atomic<std::uint64_t> untracked_{0};
    Clock::time_point last_sweep_{};
};

}  // namespace stampede::broker
