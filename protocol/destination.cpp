// Destination prefixes and RabbitMQ-style topic patterns. Pure functions, any thread.
// Matching walks the name in place (no split, no allocation): the router calls it per
// wildcard subscription per publish.
#include "protocol/destination.hpp"

namespace stampede::protocol {

namespace {

bool is_wildcard(std::string_view segment) { return segment == "*" || segment == "#"; }

// Where the segment starting at `start` ends (the '.' or the end of the name).
std::size_t segment_end(std::string_view name, std::size_t start) {
    const std::size_t dot = name.find('.', start);
    return dot == std::string_view::npos ? name.size() : dot;
}

}  // namespace

ClassifiedDestination classify(std::string_view destination,
                               const std::vector<std::string>& topic_prefixes,
                               const std::vector<std::string>& queue_prefixes) {
    ClassifiedDestination result;
    bool found = false;
    const auto consider = [&](const std::vector<std::string>& prefixes, DestinationKind kind) {
        for (const std::string& prefix : prefixes) {
            // Strictly longer only: on a tie the earlier list (topics) keeps it.
            if (destination.starts_with(prefix) &&
                (!found || prefix.size() > result.prefix.size())) {
                found = true;
                result.kind = kind;
                result.prefix = destination.substr(0, prefix.size());
                result.name = destination.substr(prefix.size());
            }
        }
    };
    consider(topic_prefixes, DestinationKind::Topic);
    consider(queue_prefixes, DestinationKind::Queue);
    return result;
}

bool is_pattern(std::string_view name) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = segment_end(name, start);
        if (is_wildcard(name.substr(start, end - start))) {
            return true;
        }
        if (end == name.size()) {
            return false;
        }
        start = end + 1;
    }
}

Pattern::Pattern(std::string_view name) {
    for (const std::string_view segment : split_segments(name)) {
        segments_.emplace_back(segment);
    }
}

bool Pattern::matches(std::string_view name) const {
    // Glob matching over segments: "*" is the one-item wildcard, "#" the any-run wildcard.
    // On a mismatch, retry from the last "#" with it swallowing one more segment; going back
    // to the last "#" only is enough, as in classic '*'/'?' glob matching.
    constexpr std::size_t kDone = std::string_view::npos;  // past the last segment
    const std::size_t count = segments_.size();
    std::size_t index = 0;
    std::size_t position = 0;  // byte offset where the current name segment starts
    std::size_t hash_index = kDone;
    std::size_t hash_position = 0;
    const auto next = [&](std::size_t at) {
        const std::size_t end = segment_end(name, at);
        return end == name.size() ? kDone : end + 1;
    };
    while (position != kDone) {
        if (index < count && segments_[index] == "#") {
            hash_index = index++;
            hash_position = position;  // first try: "#" takes nothing
            continue;
        }
        if (index < count) {
            const std::size_t end = segment_end(name, position);
            if (segments_[index] == "*" ||
                segments_[index] == name.substr(position, end - position)) {
                ++index;
                position = end == name.size() ? kDone : end + 1;
                continue;
            }
        }
        if (hash_index == kDone) {
            return false;
        }
        index = hash_index + 1;
        hash_position = next(hash_position);  // "#" takes one more segment
        position = hash_position;
        if (position == kDone) {
            break;  // "#" took every segment left
        }
    }
    while (index < count && segments_[index] == "#") {
        ++index;
    }
    return index == count;
}

std::vector<std::string_view> split_segments(std::string_view name) {
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = segment_end(name, start);
        segments.push_back(name.substr(start, end - start));
        if (end == name.size()) {
            return segments;
        }
        start = end + 1;
    }
}

}  // namespace stampede::protocol
