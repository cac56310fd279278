// Subscriber: what the publish pipeline delivers topic messages to. A Session is one; the
// pipeline (and the Router) see only this, so they need not know the session's state machine.
// Shard thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/message.hpp"

namespace stampede::broker {

class LocalMessage;
struct Subscription;

class Subscriber {
   public:
    /// The session id, unique on its shard.
    virtual std::uint64_t id() const = 0;
    /// A topic message matched `sub`, one of this subscriber's subscriptions.
    virtual void deliver_topic(const LocalMessage& message, const Subscription& sub) = 0;
    /// A reply to this subscriber's /temp-queue/NAME (reply_queues.hpp).
    virtual void deliver_reply(const protocol::MessagePtr& message, std::string_view name) = 0;
    /// `sub`, a /stampede/unread subscription of this subscriber, has rooms to report
    /// (unread_watchers.hpp); the subscriber decides when to take its update.
    virtual void unread_changed(const Subscription& /*sub*/) {}

   protected:
    ~Subscriber() = default;
};

}  // namespace stampede::broker
