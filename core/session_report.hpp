// SessionReport: what the admin API shows of one live session (DESIGN.md "HTTP"), copied out
// of the Session on its own shard so another shard can render it. Plain values, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "protocol/destination.hpp"

namespace stampede::broker {

struct SubscriptionReport {
    std::string id;
    std::string destination;  // as subscribed (a wildcard stays a wildcard)
    protocol::DestinationKind kind = protocol::DestinationKind::Unknown;
};

struct SessionReport {
    std::string id;         // "<shard>-<session>", the CONNECTED session header
    std::string principal;  // "" before CONNECT completed
    std::string peer;       // the client's address
    std::string transport;  // Transport::kind(): "tcp", "websocket", "sockjs", ...
    std::string version;    // "1.0", "1.1", "1.2"
    std::string state;      // "connecting", "authenticating", "connected", "closing"
    std::size_t pending_bytes = 0;
    std::vector<SubscriptionReport> subscriptions;
};

}  // namespace stampede::broker
