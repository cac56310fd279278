// See channels.hpp.
#include "cluster/channels.hpp"

#include "protocol/destination.hpp"

namespace stampede::broker {
namespace {

// Redis glob metacharacters in literal parts of a name.
void append_glob_literal(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
}

}  // namespace

std::string relay_channel(std::string_view channel_prefix, std::string_view destination) {
    std::string channel(channel_prefix);
    channel += ":t:";
    channel += destination;
    return channel;
}

std::string relay_pattern(std::string_view channel_prefix, std::string_view prefix,
                          std::string_view pattern_name) {
    std::string glob;
    append_glob_literal(glob, channel_prefix);
    glob += ":t:";
    append_glob_literal(glob, prefix);
    const auto segments = protocol::split_segments(pattern_name);
    bool after_hash = false;  // the glob's last '*' stands for a '#' and its dots
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto segment = segments[i];
        if (segment == "#") {
            // Zero or more segments, dots included: one glob '*' swallows its neighbour dots.
            if (!after_hash) {
                glob += '*';
            }
            after_hash = true;
            continue;
        }
        if (i > 0 && !after_hash) {
            glob += '.';
        }
        after_hash = false;
        if (segment == "*") {
            glob += '*';
        } else {
            append_glob_literal(glob, segment);
        }
    }
    return glob;
}

}  // namespace stampede::broker
