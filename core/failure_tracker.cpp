// See failure_tracker.hpp.
#include "core/failure_tracker.hpp"

namespace stampede::broker {

bool FailureTracker::blocked(std::string_view ip, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(ip));
    return it != entries_.end() && now < it->second.blocked_until;
}

void FailureTracker::record_failure(std::string_view ip, std::uint32_t max_per_minute,
                                    Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxTracked) {
        // Bounded: forget IPs with nothing recent rather than grow without limit.
        std::erase_if(entries_, [now](const auto& item) {
            const Entry& entry = item.second;
            return now >= entry.blocked_until &&
                   (entry.failures.empty() ||
                    now - entry.failures.back() > std::chrono::minutes(1));
        });
    }
    Entry& entry = entries_[std::string(ip)];
    const auto window_start = now - std::chrono::minutes(1);
    std::erase_if(entry.failures, [&](Clock::time_point t) { return t < window_start; });
    entry.failures.push_back(now);
    if (entry.failures.size() > max_per_minute) {
        entry.blocked_until = now + std::chrono::seconds(60);
        entry.failures.clear();
    }
}

}  // namespace stampede::broker
