// /metrics: the node's counters in the Prometheus text format. The counters are relaxed
// atomics owned by each shard (and the relay); this only reads and sums them. Any thread.
#pragma once

#include <string>

namespace stampede::broker {

struct NodeContext;
class OfflineWebhook;

/// `webhook`: the offline hook's sender, null when no webhook is configured.
std::string render_metrics(const NodeContext& node, const OfflineWebhook* webhook = nullptr);

}  // namespace stampede::broker
