// SessionHost: what a Session needs from its shard (routing, queues, config, ids).
// Implemented by Shard; by a fake in unit tests. Shard thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/error.hpp"
#include "auth/principal.hpp"
#include "broker/security.hpp"
#include "config/config.hpp"
#include "protocol/message.hpp"

namespace stampede::broker {

class QueueManager;
struct Subscription;

class SessionHost {
   public:
    virtual ~SessionHost() = default;
    virtual const config::Config& config() const = 0;
    virtual unsigned shard_index() const = 0;
    virtual const std::string& node_id() const = 0;
    virtual std::string make_message_id() = 0;
    /// Delivers a topic message to every matching subscription on the node (this shard at
    /// once, the other shards through their inboxes).
    virtual void publish_topic(const protocol::MessagePtr& message, std::string_view prefix,
                               std::string_view name) = 0;
    /// Indexes a topic subscription (and tells the relay when the node gains interest).
    virtual void add_topic_subscription(Subscription* sub) = 0;
    virtual void remove_topic_subscription(Subscription* sub) = 0;
    /// With a cluster, a SUBSCRIBE's RECEIPT waits until Redis confirmed the node's channel
    /// subscription: returns true when the host will call Session::send_receipt_id later.
    virtual bool defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) = 0;
    virtual QueueManager& queues() = 0;
    virtual bool draining() const = 0;
    virtual const Security& security() const = 0;
    /// Brute-force guard, keyed by the client's address.
    virtual bool auth_blocked(std::string_view ip) = 0;
    virtual void record_auth_failure(std::string_view ip) = 0;
    /// The cluster-wide deny-list (Redis <prefix>:revoked); the config's list is in security().
    virtual bool revoked_in_cluster(std::string_view jti) const = 0;
    /// Checks a service account's passcode off the shard (PBKDF2 is slow); the result comes
    /// back through Session::on_authenticated on this shard, unless the session is gone.
    virtual void authenticate_async(std::uint64_t session_id, std::string login,
                                    std::string passcode) = 0;
    /// Counts an accepted SEND (metrics).
    virtual void count_message_in() = 0;
    /// Counts a message dropped by the drop_oldest slow-consumer policy.
    virtual void count_dropped(std::size_t messages) = 0;
};

}  // namespace stampede::broker
