// Destination names and RabbitMQ-style patterns: `*` matches one `.`-separated segment,
// `#` zero or more. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace stampede::protocol {

enum class DestinationKind { Topic, Queue, Unknown };

struct ClassifiedDestination {
    DestinationKind kind = DestinationKind::Unknown;
    std::string_view prefix;  // the matching configured prefix, e.g. "/topic/"
    std::string_view name;    // the rest after the prefix, e.g. "room.42"
};

/// Finds which configured prefix `destination` starts with (longest match wins).
ClassifiedDestination classify(std::string_view destination,
                               const std::vector<std::string>& topic_prefixes,
                               const std::vector<std::string>& queue_prefixes);

/// True when the name (after the prefix) contains a `*` or `#` segment.
bool is_pattern(std::string_view name);

/// Compiled pattern: the segments of a name split on '.'.
class Pattern {
   public:
    explicit Pattern(std::string_view name);
    /// Segment-wise match: "*" one segment, "#" zero or more; so "room.#" matches "room".
    bool matches(std::string_view name) const;
    const std::vector<std::string>& segments() const { return segments_; }

   private:
    std::vector<std::string> segments_;
};

/// Splits "a.b.c" into {"a","b","c"} (views into `name`). "" gives {""}.
std::vector<std::string_view> split_segments(std::string_view name);

}  // namespace stampede::protocol
