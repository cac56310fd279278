// Laravel broadcasting through its Redis broadcaster (cluster.redis.laravel, DESIGN.md "Redis
// (cluster)"): the app PUBLISHes `{"event": ..., "data": {...}, "socket": ...}` to a channel
// named after the broadcast channel, behind the app's Redis prefix. These routes map such a
// channel to a destination and the payload to a publish: the body is `data` as JSON,
// `x-event` the event's name, content-type application/json. Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/publish_form.hpp"
#include "protocol/channel_pattern.hpp"

namespace stampede::broker {

class LaravelRoutes {
   public:
    /// The configured channels, compiled (the config check has validated them).
    explicit LaravelRoutes(const config::LaravelIngress& config);

    bool empty() const { return routes_.empty(); }
    /// The Redis globs to PSUBSCRIBE (prefix and channel), one per route.
    std::vector<std::string> globs() const;
    bool is_glob(std::string_view pattern) const;
    /// The publish a broadcast on `channel` (the full Redis channel name) becomes; nullptr, or
    /// why it is ignored (no route matches, the payload is not Laravel's).
    const char* to_publish(std::string_view channel, std::string_view payload,
                           PublishForm& out) const;

   private:
    struct Route {
        protocol::ChannelPattern pattern;
        std::string destination;
        std::string glob;
    };
    std::string prefix_;
    std::vector<Route> routes_;
};

}  // namespace stampede::broker
