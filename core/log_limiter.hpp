// A count per interval for log lines that outsiders can cause (refused connections, lws's
// complaints about bad requests): the first line of each kind in an interval is written, the
// rest of that interval are counted, and the count goes out with the next line of that kind.
// Any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace stampede::broker {

class LogLimiter {
   public:
    /// `interval_ms`: how often a line of one kind may be written. `max_kinds`: lines of
    /// kinds past that many share one budget, so junk cannot grow the table.
    explicit LogLimiter(std::int64_t interval_ms = 10'000, std::size_t max_kinds = 64);

    /// The line to write now (`text`, with how many like it were held back since the last
    /// one), or nothing when this kind already had its line in this interval. `now_ms`: any
    /// monotonic clock.
    std::optional<std::string> admit(std::string_view text, std::int64_t now_ms);

    /// Lines of one kind differ only in numbers (addresses, ports, pointers, lengths).
    static std::string kind_of(std::string_view text);

   private:
    struct Kind {
        std::int64_t written_at = 0;
        std::uint64_t held = 0;
    };
    std::int64_t interval_ms_;
    std::size_t max_kinds_;
    std::mutex mutex_;
    std::unordered_map<std::string, Kind> kinds_;
};

}  // namespace stampede::broker
