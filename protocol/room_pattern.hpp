// RoomPattern: which topics are rooms, from `destinations.rooms[].pattern`. Two styles:
//  - RabbitMQ wildcards on '.'-separated segments after the topic prefix: "/topic/room.*"
//    ('*' one segment, '#' zero or more);
//  - '/'-separated with {name} captures, each capture exactly one non-empty segment:
//    "/sub/chat/room/{id}" (as Spring apps name rooms); the other segments match literally.
// A pattern without '{' or '}' is of the first style, matched by protocol::Pattern (at worst
// name segments x pattern segments steps, however many '#'). Pure; safe to share between
// threads.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/destination.hpp"

namespace stampede::protocol {

using Captures = std::vector<std::pair<std::string, std::string>>;  // {name, value}

class RoomPattern {
   public:
    /// Compiles `pattern`, whose first `prefix_length` characters (its topic prefix, e.g.
    /// "/topic/") match literally; nullopt with `error` set when it is not valid (an empty segment,
    /// a capture that is not a whole segment, a capture name that is not [A-Za-z_][A-Za-z0-9_]*
    /// or appears twice, '*' or '#' mixed with captures or not a whole '.' segment).
    static std::optional<RoomPattern> compile(std::string_view pattern, std::size_t prefix_length,
                                              std::string& error);

    const std::string& text() const { return text_; }

    /// Whether the concrete destination `destination` (no wildcards) is a room of this pattern.
    bool matches(std::string_view destination) const;
    /// Same, with the captures' values ({id} -> "42"); empty for the wildcard style.
    std::optional<Captures> match(std::string_view destination) const;
    /// The capture names, in pattern order ({id} -> "id"); empty for the wildcard style.
    std::vector<std::string> capture_names() const;

   private:
    std::string text_;
    std::string prefix_;  // wildcard style: matched literally before the segments
    bool slash_style_ = false;
    Pattern wildcards_{""};              // wildcard style: the '.' segments after the prefix
    std::vector<std::string> segments_;  // '/' style: literal or "{name}"
};

}  // namespace stampede::protocol
