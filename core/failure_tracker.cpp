// See failure_tracker.hpp.
#include "core/failure_tracker.hpp"

namespace stampede::broker {

bool FailureTracker::blocked(std::string_view ip, Clock::time_point now) {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(std::string(ip));
    return it != entries_.end() && now < it->second.blocked_until;
}

void FailureTracker::record_failure(std::string_view ip, std::uint32_t max_per_minute,
                                    std::size_t max_tracked, Clock::time_point now) {
    if (max_per_minute == 0) {
        return;  // auth.max_failures_per_minute: 0 = no limit, so nothing to count
    }
    const std::lock_guard lock(mutex_);
    auto it = entries_.find(std::string(ip));
    if (it == entries_.end()) {
        // Bounded: forget IPs with nothing recent rather than grow without limit. The sweep
        // walks the whole table under the lock every CONNECT takes, so it runs at most once a
        // second: an attack from many addresses must not turn it into a CPU amplifier.
        if (entries_.size() >= max_tracked && now - last_sweep_ >= std::chrono::seconds(1)) {
            last_sweep_ = now;
            std::erase_if(entries_, [now](const auto& item) {
                const Entry& entry = item.second;
                return now >= entry.blocked_until &&
                       (entry.failures.empty() ||
                        now - entry.failures.back() > std::chrono::minutes(1));
            });
        }
        if (entries_.size() >= max_tracked) {
            // Still full (a spread-out attack): the new IP goes uncounted rather than evict
            // an active one, and refusing it outright would let anyone lock everyone out.
            untracked_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        it = entries_.emplace(std::string(ip), Entry{}).first;
    }
    Entry& entry = it->second;
    const auto window_start = now - std::chrono::minutes(1);
    std::erase_if(entry.failures, [&](Clock::time_point t) { return t < window_start; });
    entry.failures.push_back(now);
    if (entry.failures.size() > max_per_minute) {
        entry.blocked_until = now + std::chrono::seconds(60);
        entry.failures.clear();
    }
}

std::size_t FailureTracker::tracked() {
    const std::lock_guard lock(mutex_);
    return entries_.size();
}

}  // namespace stampede::broker
