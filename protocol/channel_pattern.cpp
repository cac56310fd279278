// See channel_pattern.hpp.
#include "protocol/channel_pattern.hpp"

#include <algorithm>
#include <cctype>

#include "protocol/destination.hpp"

namespace stampede::protocol {

namespace {

bool is_capture(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool valid_name(std::string_view name) {
    if (name.empty() || (std::isdigit(static_cast<unsigned char>(name.front())) != 0)) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

}  // namespace

std::optional<ChannelPattern> ChannelPattern::compile(std::string_view pattern,
                                                      std::string& error) {
    ChannelPattern out;
    out.text_ = std::string(pattern);
    std::vector<std::string> names;
    for (std::string_view segment : split_segments(pattern)) {
        if (segment.empty()) {
            error = "a channel pattern has no empty segments ('..', or a leading or trailing '.')";
            return std::nullopt;
        }
        if (is_capture(segment)) {
            const std::string name(segment.substr(1, segment.size() - 2));
            if (!valid_name(name)) {
                error = "a capture is {name}, name being [A-Za-z_][A-Za-z0-9_]*";
                return std::nullopt;
            }
            if (std::find(names.begin(), names.end(), name) != names.end()) {
                error = "capture {" + name + "} appears twice";
                return std::nullopt;
            }
            names.push_back(name);
        } else if (segment.find_first_of("{}*?[]\\") != std::string_view::npos) {
            error = "a segment is literal text without *?[]\\{} or one whole {capture}";
            return std::nullopt;
        }
        out.segments_.emplace_back(segment);
    }
    return out;
}

std::string ChannelPattern::glob(std::string_view prefix) const {
    std::string out;
    for (const char c : prefix) {
        if (std::string_view("*?[]\\").find(c) != std::string_view::npos) {
            out += '\\';
        }
        out += c;
    }
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        if (i > 0) {
            out += '.';
        }
        out += is_capture(segments_[i]) ? std::string("*") : segments_[i];
    }
    return out;
}

std::optional<Captures> ChannelPattern::match(std::string_view channel) const {
    const std::vector<std::string_view> parts = split_segments(channel);
    if (parts.size() != segments_.size()) {
        return std::nullopt;
    }
    Captures captures;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (is_capture(segments_[i])) {
            if (parts[i].empty()) {
                return std::nullopt;
            }
            captures.emplace_back(segments_[i].substr(1, segments_[i].size() - 2),
                                  std::string(parts[i]));
        } else if (parts[i] != segments_[i]) {
            return std::nullopt;
        }
    }
    return captures;
}

std::vector<std::string> ChannelPattern::capture_names() const {
    std::vector<std::string> names;
    for (const std::string& segment : segments_) {
        if (is_capture(segment)) {
            names.push_back(segment.substr(1, segment.size() - 2));
        }
    }
    return names;
}

}  // namespace stampede::protocol
