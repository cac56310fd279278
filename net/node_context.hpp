// NodeContext: what every shard of a node shares, handed down by the server instead of the
// server itself, so nothing on a shard reaches up a floor. The server owns all of it and
// outlives the shards. The shard list is complete before any shard starts.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/relay.hpp"
#include "core/failure_tracker.hpp"
#include "core/log.hpp"
#include "core/worker.hpp"
#include "net/connection_gate.hpp"
#include "net/sockjs_directory.hpp"
#include "queues/queue_manager.hpp"
#include "rooms/room_registry.hpp"

struct lws_protocols;

namespace stampede::broker {

class Shard;

struct NodeContext {
    std::string node_id;
    Logger& log;
    QueueManager& queues;
    ConnectionGate& gate;     // limits.max_connections and max_connections_per_ip
    SockjsDirectory& sockjs;  // SockJS xhr sessions: their owner shards and their limits
    rooms::RoomRegistry& rooms;
    FailureTracker& failures;
    Worker& worker;
    RelayCounters& relay_counters;
    std::vector<std::unique_ptr<Shard>>& shards;  // shards[0] is the home shard (the relay's)
    std::function<std::string()> render_metrics;  // GET /metrics, any thread
    // The lws protocol tables of ws and tcp listeners (lws_glue.cpp), given to every vhost.
    const lws_protocols* websocket_protocols = nullptr;
    const lws_protocols* raw_protocols = nullptr;
};

}  // namespace stampede::broker
