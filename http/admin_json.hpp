// The admin API's JSON (DESIGN.md "HTTP"): the connection list rendered from the sessions'
// reports, and the destination list counted from the same reports. Pure values, any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/session_report.hpp"

namespace stampede::broker {

struct DestinationReport {
    std::string destination;  // as subscribed (wildcards listed as they were given)
    protocol::DestinationKind kind = protocol::DestinationKind::Unknown;
    std::size_t subscribers = 0;       // subscriptions to it on this node, every shard
    std::optional<std::size_t> depth;  // queues: the messages waiting
};

/// [{"id","principal","peer","transport","version","state","pending_bytes","subscriptions":[{"id",
/// "destination","kind"}]}...], in the order given.
std::string render_connections(const std::vector<SessionReport>& sessions);

/// One entry per destination any session subscribes to, sorted by destination.
std::vector<DestinationReport> count_destinations(const std::vector<SessionReport>& sessions);

/// [{"destination","kind","subscribers"[,"depth"]}...].
std::string render_destinations(const std::vector<DestinationReport>& destinations);

}  // namespace stampede::broker
