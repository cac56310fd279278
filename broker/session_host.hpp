// SessionHost: what a Session needs from its shard (routing, queues, config, ids).
// Implemented by Shard; by a fake in unit tests. Shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/config.hpp"
#include "protocol/message.hpp"

namespace stampede::broker {

class QueueManager;
class Router;
struct ListenerConfig;

class SessionHost {
   public:
    virtual ~SessionHost() = default;
    virtual const Config& config() const = 0;
    virtual unsigned shard_index() const = 0;
    virtual const std::string& node_id() const = 0;
    virtual std::string make_message_id() = 0;
    /// Delivers a topic message to every matching subscription on the node (this shard at
    /// once, the other shards through their inboxes).
    virtual void publish_topic(const protocol::MessagePtr& message, std::string_view prefix,
                               std::string_view name) = 0;
    virtual Router& router() = 0;
    virtual QueueManager& queues() = 0;
    virtual bool draining() const = 0;
    /// Counts a message dropped by the drop_oldest slow-consumer policy.
    virtual void count_dropped(std::size_t messages) = 0;
};

}  // namespace stampede::broker
