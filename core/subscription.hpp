// Subscription: one SUBSCRIBE of one session. Owned by its Session; indexed (non-owning) by the
// shard's Router or registered with the QueueManager. Shard thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "core/local_message.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {

class Subscriber;

enum class AckMode : std::uint8_t { Auto, Client, ClientIndividual };

struct Subscription {
    Subscriber* session = nullptr;  // its owner
    std::string id;
    std::string destination;  // full destination as subscribed, e.g. "/topic/room.*"
    protocol::DestinationKind kind = protocol::DestinationKind::Topic;
    std::string name;  // destination without its prefix ("room.*"), the router's key
    AckMode ack = AckMode::Auto;
    /// "MESSAGE\nsubscription:<id>\n" in the session's STOMP version, encoded once.
    std::string message_head;
    bool wildcard = false;
    /// A SUBSCRIBE to /user/queue/NAME: `destination` is the principal's queue's internal
    /// name; deliveries are not kept for an ACK (the queue fans out to every session).
    bool own_user_queue = false;
    /// With a cluster: the Redis channel (exact) or glob (wildcard) this subscription
    /// listens on; a relayed pmessage reaches only the subscriptions of its glob, so a
    /// message arriving as both `message` and `pmessage` is still delivered once each.
    std::string relay_key;
    /// A room subscription that replayed history: live messages numbered up to this were in
    /// the replay (or published before it), so they are skipped; 0 = none skipped.
    std::uint64_t replay_through = 0;
    /// A replay read from Redis is on its way: live messages wait here until it arrives (the
    /// session's delivery path owns them; it holds a const Subscription).
    bool replay_pending = false;
    std::uint64_t replay_ticket = 0;  // which read the pending replay waits for
    /// An exact subscription to a room with presence: it counts its principal in (enter) and,
    /// when removed, out (leave).
    bool in_presence = false;
    /// A /stampede/presence/ watcher: the change number of its snapshot; events numbered up
    /// to it were in the snapshot and are skipped.
    std::uint64_t presence_through = 0;
    /// A SUBSCRIBE /stampede/unread: indexed by the shard's UnreadWatchers, not the router.
    bool unread_watch = false;
    /// A SUBSCRIBE /stampede/token: the session itself sends its expiry warnings there; not
    /// indexed anywhere else.
    bool token_watch = false;
    mutable std::vector<LocalMessage> held;
    mutable std::size_t held_bytes = 0;
    /// A topic subscription with a client ack mode and SUBSCRIBE's prefetch-count: at most
    /// `prefetch` deliveries unacknowledged (`unacked`: ack id and message id, oldest first);
    /// what the topic carries meanwhile waits in `waiting`, bounded with the connection's
    /// pending bytes (core/session_topic_acks.cpp). 0 = no cap.
    std::size_t prefetch = 0;
    mutable std::deque<std::pair<std::uint64_t, std::string>> unacked;
    mutable std::deque<LocalMessage> waiting;
    mutable std::size_t waiting_bytes = 0;
    /// Router bookkeeping: the match pass that last saw this subscription, so a message
    /// reaching it through two trie paths is delivered once.
    mutable std::uint64_t last_match = 0;
};

}  // namespace stampede::broker
