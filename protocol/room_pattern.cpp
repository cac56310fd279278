// See room_pattern.hpp.
#include "protocol/room_pattern.hpp"

#include <algorithm>
#include <cctype>

namespace stampede::protocol {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(separator, start);
        if (end == std::string_view::npos) {
            out.push_back(text.substr(start));
            return out;
        }
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

bool is_capture(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool valid_capture_name(std::string_view name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

}  // namespace

std::optional<RoomPattern> RoomPattern::compile(std::string_view pattern, std::size_t prefix_length,
                                                std::string& error) {
    RoomPattern out;
    out.text_ = std::string(pattern);
    out.slash_style_ =
        pattern.find('{') != std::string_view::npos || pattern.find('}') != std::string_view::npos;
    if (pattern.empty()) {
        error = "a room pattern must not be empty";
        return std::nullopt;
    }
    if (!out.slash_style_) {
        prefix_length = std::min(prefix_length, pattern.size());
        out.prefix_ = std::string(pattern.substr(0, prefix_length));
        if (prefix_length == pattern.size()) {
            error = "a room pattern needs a name after its prefix";
            return std::nullopt;
        }
        const std::string_view name = pattern.substr(prefix_length);
        for (std::string_view segment : split(name, '.')) {
            if (segment.empty()) {
                error = "a room pattern has an empty '.' segment";
                return std::nullopt;
            }
            // "room*" would only ever match itself: surely not what was meant.
            if (segment != "*" && segment != "#" &&
                segment.find_first_of("*#") != std::string_view::npos) {
                error = "'*' and '#' must each be a whole '.' segment";
                return std::nullopt;
            }
        }
        out.wildcards_ = Pattern(name);
        return out;
    }
    if (pattern.find('*') != std::string_view::npos ||
        pattern.find('#') != std::string_view::npos) {
        error = "a room pattern mixes {captures} with '*' or '#'";
        return std::nullopt;
    }
    const auto segments = split(pattern, '/');
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string_view segment = segments[i];
        if (segment.empty() && i != 0) {  // the leading '/' gives one empty first segment
            error = "a room pattern has an empty '/' segment";
            return std::nullopt;
        }
        const bool braces = segment.find('{') != std::string_view::npos ||
                            segment.find('}') != std::string_view::npos;
        if (braces && !is_capture(segment)) {
            error = "a {capture} must be a whole '/' segment";
            return std::nullopt;
        }
        if (braces) {
            const std::string_view name = segment.substr(1, segment.size() - 2);
            if (!valid_capture_name(name)) {
                error = "a capture name must be [A-Za-z_][A-Za-z0-9_]*";
                return std::nullopt;
            }
            const std::string whole(segment);
            if (std::find(out.segments_.begin(), out.segments_.end(), whole) !=
                out.segments_.end()) {
                error = "a capture name appears twice";
                return std::nullopt;
            }
        }
        out.segments_.emplace_back(segment);
    }
    return out;
}

std::vector<std::string> RoomPattern::capture_names() const {
    std::vector<std::string> names;
    for (const std::string& segment : segments_) {
        if (segment.starts_with('{')) {
            names.push_back(segment.substr(1, segment.size() - 2));
        }
    }
    return names;
}

bool RoomPattern::matches(std::string_view destination) const {
    return match(destination).has_value();
}

std::optional<Captures> RoomPattern::match(std::string_view destination) const {
    if (!slash_style_) {
        if (!destination.starts_with(prefix_) ||
            !wildcards_.matches(destination.substr(prefix_.size()))) {
            return std::nullopt;
        }
        return Captures{};
    }
    const auto parts = split(destination, '/');
    if (parts.size() != segments_.size()) {
        return std::nullopt;
    }
    Captures captures;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& segment = segments_[i];
        if (is_capture(segment)) {
            if (parts[i].empty()) {
                return std::nullopt;
            }
            captures.emplace_back(segment.substr(1, segment.size() - 2), std::string(parts[i]));
        } else if (segment != parts[i]) {
            return std::nullopt;
        }
    }
    return captures;
}

}  // namespace stampede::protocol
