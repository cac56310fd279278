// ReplySubscriptions: the temporary reply queues (reply_queues.hpp) one session opened.
// Shard thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/subscription.hpp"
#include "protocol/frame.hpp"

namespace stampede::broker {

class Subscriber;

/// A session's temporary queues: one implicit subscription per NAME it used in a reply-to (or
/// subscribed to), whose id and destination are `/temp-queue/NAME`. Owned by the session;
/// must outlive its outbound queue (which points at these subscriptions).
class ReplySubscriptions {
   public:
    /// The subscription of NAME, made on first use.
    const Subscription& open(std::string_view name, Subscriber* owner, protocol::Version version);
    /// Null when the session never used NAME.
    const Subscription* find(std::string_view name) const;
    bool contains(std::string_view name) const { return find(name) != nullptr; }
    std::size_t size() const { return subs_.size(); }

   private:
    std::unordered_map<std::string, std::unique_ptr<Subscription>> subs_;
};

}  // namespace stampede::broker
