// ChannelPattern: a Redis channel name with {name} captures, for the Laravel broadcasting
// ingress (`cluster.redis.laravel.channels`, DESIGN.md "Redis (cluster)"). The name is
// '.'-separated segments, as Laravel names channels ("private-chat.{id}",
// "App.Models.User.{id}"); a capture is exactly one whole non-empty segment. Literal segments
// may not hold Redis glob characters (`*?[]\`) or braces, so the pattern has an exact Redis
// glob to PSUBSCRIBE with. Pure; safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/room_pattern.hpp"

namespace stampede::protocol {

class ChannelPattern {
   public:
    /// Nullopt with `error` set when `pattern` is not valid.
    static std::optional<ChannelPattern> compile(std::string_view pattern, std::string& error);

    const std::string& text() const { return text_; }
    /// The Redis glob that matches at least every channel this pattern matches ('*' for each
    /// capture), behind `prefix` (matched literally; its glob characters are escaped).
    std::string glob(std::string_view prefix) const;
    /// The captures' values when `channel` matches ({id} -> "42"), else nullopt.
    std::optional<Captures> match(std::string_view channel) const;
    std::vector<std::string> capture_names() const;

   private:
    std::string text_;
    std::vector<std::string> segments_;  // literal, or "{name}"
};

}  // namespace stampede::protocol
