// Prometheus text rendering of the shard and relay counters. Any thread.
#include "server/metrics.hpp"

#include <fmt/format.h>

#include <array>

#include "core/offline_webhook.hpp"
#include "net/shard.hpp"
#include "protocol/close_reason.hpp"

namespace stampede::broker {
namespace {

void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::uint64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name,
                   type, name, value);
}

}  // namespace

namespace {

void offline_hook_metrics(std::string& text, const rooms::OfflineTracker& tracker,
                          const OfflineWebhook* webhook) {
    metric(text, "stampede_offline_hook_records_total", "counter",
           "Offline hook records queued for the webhook (a room message and its away members).",
           tracker.reported());
    metric(text, "stampede_offline_hook_dropped_total", "counter",
           "Offline hook records, or messages waiting in a member's debounce window, dropped "
           "because their bounded queue was full.",
           tracker.dropped());
    metric(text, "stampede_offline_hook_returned_total", "counter",
           "Messages not reported because their member came back within debounce_ms.",
           tracker.returned());
    metric(text, "stampede_offline_hook_delivered_total", "counter",
           "Offline hook records the webhook accepted (2xx).",
           webhook != nullptr ? webhook->delivered() : 0);
    metric(text, "stampede_offline_hook_posts_total", "counter", "Webhook POSTs attempted.",
           webhook != nullptr ? webhook->posts() : 0);
    metric(text, "stampede_offline_hook_post_failures_total", "counter",
           "Webhook POSTs that failed (no answer or not 2xx); most are retried.",
           webhook != nullptr ? webhook->failures() : 0);
    metric(text, "stampede_offline_hook_rejected_total", "counter",
           "Offline hook records given up on: the webhook answered a 4xx other than 408/429.",
           webhook != nullptr ? webhook->rejected() : 0);
}

}  // namespace

std::string render_metrics(const NodeContext& node, const OfflineWebhook* webhook) {
    std::uint64_t connections = 0, in = 0, out = 0, dropped = 0, overflow = 0;
    std::array<std::uint64_t, protocol::kCloseReasonCount> closed{};
    for (const auto& shard : node.shards) {
        const auto& c = shard->counters();
        connections += shard->connection_count();
        in += c.messages_in.load(std::memory_order_relaxed);
        out += c.messages_out.load(std::memory_order_relaxed);
        dropped += c.slow_consumer_dropped.load(std::memory_order_relaxed);
        overflow += c.inbox_overflow.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < closed.size(); ++i) {
            closed[i] += c.closed[i].load(std::memory_order_relaxed);
        }
    }
    std::string text;
    metric(text, "stampede_connections", "gauge", "Open client connections.", connections);
    metric(text, "stampede_sockjs_sessions", "gauge",
           "Open SockJS xhr sessions (they also count in stampede_connections).",
           node.sockjs.open());
    metric(
        text, "stampede_messages_in_total", "counter",
        "Messages accepted for publishing (STOMP SEND, HTTP publish, backend publishes on Redis).",
        in);
    metric(text, "stampede_messages_out_total", "counter", "MESSAGE frames written.", out);
    metric(text, "stampede_slow_consumer_dropped_total", "counter",
           "Messages dropped by the drop_oldest slow-consumer policy.", dropped);
    metric(text, "stampede_inbox_overflow_total", "counter",
           "Cross-shard publishes dropped because a shard inbox was full.", overflow);
    // Every reason, zeros included, so a rate over a reason never seen yet still exists. The
    // texts need no label escaping (no quote, backslash or newline: close_reason_test.cpp).
    text +=
        "# HELP stampede_connections_closed_total Connections closed with an ERROR frame, "
        "by its message.\n# TYPE stampede_connections_closed_total counter\n";
    for (std::size_t i = 0; i < closed.size(); ++i) {
        fmt::format_to(
            std::back_inserter(text), "stampede_connections_closed_total{{reason=\"{}\"}} {}\n",
            protocol::close_reason_text(static_cast<protocol::CloseReason>(i)), closed[i]);
    }
    metric(text, "stampede_connections_admitted", "gauge",
           "Accepted sockets holding a limits.max_connections slot now.", node.gate.open());
    fmt::format_to(std::back_inserter(text),
                   "# HELP stampede_connections_refused_total Sockets refused at accept by "
                   "limits.max_connections (node) or max_connections_per_ip (address).\n"
                   "# TYPE stampede_connections_refused_total counter\n"
                   "stampede_connections_refused_total{{limit=\"max_connections\"}} {}\n"
                   "stampede_connections_refused_total{{limit=\"max_connections_per_ip\"}} {}\n",
                   node.gate.refused(GateRefusal::NodeFull),
                   node.gate.refused(GateRefusal::AddressFull));
    metric(text, "stampede_room_messages_numbered_total", "counter",
           "Room messages numbered by this node (memory and file backends; with redis, Redis "
           "numbers them).",
           node.rooms.numbered());
    metric(text, "stampede_room_history_messages", "gauge",
           "Room messages kept in this node's memory for replays (memory and file backends).",
           node.rooms.kept_messages());
    metric(text, "stampede_room_storage_errors_total", "counter",
           "Room messages their storage refused or failed to write, or Redis did not number "
           "(each sender got ERROR storage unavailable).",
           node.rooms.storage_errors());
    metric(text, "stampede_room_presence_members", "gauge",
           "Members of presence rooms on this node (a principal counts once per room).",
           node.rooms.presence().members());
    if (node.rooms.cluster_presence()) {
        metric(text, "stampede_room_presence_cluster_members", "gauge",
               "Members of presence rooms on every node of the cluster, as this node's mirror "
               "of Redis has them.",
               node.rooms.mirror().members());
    }
    metric(text, "stampede_room_ephemeral_dropped_total", "counter",
           "x-ephemeral messages to presence rooms dropped over their sender's "
           "presence.ephemeral_per_s.",
           node.rooms.presence().ephemeral_dropped());
    metric(text, "stampede_queue_dead_lettered_total", "counter",
           "Queue messages moved to a dead-letter queue (rejected, max-redeliveries, expired, "
           "overflow).",
           node.queues.dead_lettered());
    metric(text, "stampede_queue_dropped_total", "counter",
           "Queue messages that died with nowhere to go (dead_letter \"\", a dead letter's own "
           "death, a full dead-letter queue).",
           node.queues.dropped());
    metric(text, "stampede_shards", "gauge", "Shard threads.", node.shards.size());
    metric(text, "stampede_auth_untracked_failures_total", "counter",
           "Failed logins not counted per IP: auth.max_tracked_ips IPs were all active.",
           node.failures.untracked());
    const RelayCounters& relay = node.relay_counters;
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
    offline_hook_metrics(text, node.rooms.offline(), webhook);
    return text;
}

}  // namespace stampede::broker
