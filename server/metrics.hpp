// /metrics: the node's counters in the Prometheus text format. The counters are relaxed
// atomics owned by each shard (and the relay); this only reads and sums them. Any thread.
#pragma once

#include <string>

namespace stampede::broker {

struct NodeContext;

std::string render_metrics(const NodeContext& node);

}  // namespace stampede::broker
