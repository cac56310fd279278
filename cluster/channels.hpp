// Redis channel names for destinations (DESIGN.md "Redis (cluster)"): a node PUBLISHes each
// relayed message to <prefix>:t:<destination> and SUBSCRIBEs to the channels, or PSUBSCRIBEs
// to the globs of wildcard subscriptions, it has local interest in. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace stampede::broker {

std::string relay_channel(std::string_view channel_prefix, std::string_view destination);
/// The Redis glob for a wildcard destination ("/topic/room.#" -> "<p>:t:/topic/room*"). It
/// may match more than the STOMP pattern; receivers filter with the router's exact matching.
std::string relay_pattern(std::string_view channel_prefix, std::string_view prefix,
                          std::string_view pattern_name);

}  // namespace stampede::broker
