// FailureTracker: the brute-force guard, node-wide (auth.max_failures_per_minute).
// Any thread (one mutex; touched once per credential check).
#pragma once

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
    void record_failure(std::string_view ip, std::uint32_t max_per_minute, Clock::time_point now);

   private:
    struct Entry {
        std::vector<Clock::time_point> failures;  // within the last minute, oldest first
        Clock::time_point blocked_until{};
    };
    static constexpr std::size_t kMaxTracked = 100000;
    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
};

}  // namespace stampede::broker
