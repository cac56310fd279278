// Prometheus text rendering of the shard and relay counters. Any thread.
#include "broker/metrics.hpp"

#include <fmt/format.h>

#include "broker/server.hpp"
#include "broker/shard.hpp"

namespace stampede::broker {
namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                   type, name, value);
}

}  // namespace

std::string render_metrics(Server& server) {
    std::uint64_t connections = 0, in = 0, out = 0, dropped = 0, overflow = 0;
    for (const auto& shard : server.shards()) {
        const auto& c = shard->counters();
        connections += shard->connection_count();
        in += c.messages_in.load(std::memory_order_relaxed);
        out += c.messages_out.load(std::memory_order_relaxed);
        dropped += c.slow_consumer_dropped.load(std::memory_order_relaxed);
        overflow += c.inbox_overflow.load(std::memory_order_relaxed);
    }
    std::string text;
    metric(text, "stampede_connections", "gauge", "Open client connections.", connections);
    metric(text, "stampede_messages_in_total", "counter", "SEND frames accepted.", in);
    metric(text, "stampede_messages_out_total", "counter", "MESSAGE frames written.", out);
    metric(text, "stampede_slow_consumer_dropped_total", "counter",
           "Messages dropped by the drop_oldest slow-consumer policy.", dropped);
    metric(text, "stampede_inbox_overflow_total", "counter",
           "Cross-shard publishes dropped because a shard inbox was full.", overflow);
    metric(text, "stampede_shards", "gauge", "Shard threads.", server.shards().size());
    metric(text, "stampede_auth_untracked_failures_total", "counter",
           "Failed logins not counted per IP: auth.max_tracked_ips IPs were all active.",
           server.failures().untracked());
    const RelayCounters& relay = server.relay_counters();
    metric(text, "stampede_relay_published_total", "counter",
           "Messages PUBLISHed to Redis and acknowledged.", relay.published.load());
    metric(text, "stampede_relay_received_total", "counter",
           "Messages from other nodes delivered here.", relay.received.load());
    metric(text, "stampede_relay_lost_total", "counter",
           "Messages that could not be relayed (Redis down, overflow, no answer).",
           relay.lost.load());
    metric(text, "stampede_relay_overflow_total", "counter",
           "Of the lost: refused over cluster.redis.max_pending_bytes.", relay.overflow.load());
    metric(text, "stampede_relay_backend_published_total", "counter",
           "Messages published by backends on <prefix>:publish and delivered here.",
           relay.backend_published.load());
    metric(text, "stampede_redis_connected", "gauge",
           "1 when both Redis connections are up (0 also when no cluster is configured).",
           static_cast<std::uint64_t>(relay.connected.load()));
    return text;
}

}  // namespace stampede::broker
