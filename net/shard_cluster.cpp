// Shard: what it does for authentication (brute-force guard, service-account checks on the
// worker) and for the cluster (interest, deferred receipts, relayed deliveries; the relay
// lives on the home shard). Shard thread only, except where a task says otherwise.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "cluster/relay.hpp"
#include "net/shard.hpp"
#include "protocol/destination.hpp"
#include "protocol/user_destination.hpp"

namespace stampede::broker {

// ---------------------------------------------------------------------------------------
// Authentication helpers

bool Shard::revoked_in_cluster(std::string_view jti) const {
    return cluster_revoked_ != nullptr && !jti.empty() &&
           std::binary_search(cluster_revoked_->begin(), cluster_revoked_->end(), jti);
}

// ---------------------------------------------------------------------------------------
// Cluster: interest, receipts and relayed deliveries. The relay lives on the home shard.

void Shard::run_on_home(std::function<void(Shard&)> task) {
    Shard& home = *node_.shards.front();
    if (&home == this) {
        task(*this);
        return;
    }
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = std::move(task);
    home.post(std::move(item));
}

void Shard::send_receipt_to(const ReceiptWaiter& waiter) {
    auto send = [waiter](Shard& shard) {
        if (Session* session = shard.find_session(waiter.session_id)) {
            session->send_receipt_id(waiter.receipt);
        }
    };
    if (waiter.shard == index_) {
        send(*this);
        return;
    }
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = send;
    node_.shards.at(waiter.shard)->post(std::move(item));
}

void Shard::start_relay() {
    auto deliver = [this](const protocol::MessagePtr& message, const std::string& glob) {
        // A user-queue message goes into the node's queue once; it fans out to the
        // principal's subscribed sessions on every shard.
        if (protocol::is_user_destination(message->destination)) {
            node_.queues.enqueue(message);
            return;
        }
        for (auto& shard : node_.shards) {
            if (shard.get() == this) {
                publisher_.deliver_relayed(message, glob);
                continue;
            }
            InboxItem item;
            item.kind = InboxItem::Kind::RelayDeliver;
            item.message = message;
            item.glob = glob;
            shard->post(std::move(item));
        }
    };
    // A backend's JSON on <prefix>:publish enters the pipeline like any publish, on this shard.
    auto ingress = [this](BackendPublish backend, std::string_view raw) {
        PublishRequest request;
        request.source = PublishSource::Backend;
        request.destination = backend.destination;
        request.headers = std::move(backend.headers);
        request.body = std::move(backend.body);
        // Every node receives the same JSON: a room numbers it once (the first node's script).
        request.dedupe = fmt::format("{:016x}", std::hash<std::string_view>{}(raw));
        const PublishResult result = publisher_.publish(request);
        if (result.error != PublishError::None) {
            node_.log.debug("redis: publish to {} ignored: {}", backend.destination, result.detail);
        }
        return result.error == PublishError::None;
    };
    auto receipt = [this](const ReceiptWaiter& waiter) { send_receipt_to(waiter); };
    auto post_home = [this](std::function<void()> task) {
        InboxItem item;
        item.kind = InboxItem::Kind::Run;
        item.task = [task = std::move(task)](Shard&) { task(); };
        post(std::move(item));
    };
    relay_ = std::make_unique<Relay>(*config_, node_.node_id, node_.log, node_.relay_counters,
                                     std::move(deliver), std::move(ingress), std::move(receipt),
                                     std::move(post_home));
    if (node_.rooms.cluster_presence()) {
        // A change of the cluster's presence, applied to the mirror: every shard announces it.
        relay_->enable_presence(node_.rooms, [this](const rooms::PresenceMirror::Change& change) {
            const rooms::RoomRule* rule = node_.rooms.rule_for(change.room);
            if (rule != nullptr && rule->presence.enabled) {
                publisher_.announce_presence(change.room, *rule, change.member, change.count,
                                             change.version, change.enter);
            }
        });
    }
    relay_->on_revoked([this](std::shared_ptr<const std::vector<std::string>> revoked) {
        for (auto& shard : node_.shards) {
            InboxItem item;
            item.kind = InboxItem::Kind::Run;
            item.task = [revoked](Shard& target) {
                target.cluster_revoked_ = revoked;
                target.for_each_session([](Session& session) { session.on_security_reloaded(); });
            };
            shard->post(std::move(item));
        }
    });
    relay_->start(loop_);
}

void Shard::add_topic_subscription(Subscription* sub) {
    if (clustered()) {
        const std::string_view prefix(sub->destination.data(),
                                      sub->destination.size() - sub->name.size());
        sub->relay_key = sub->wildcard
                             ? relay_pattern(config_->redis.channel_prefix, prefix, sub->name)
                             : relay_channel(config_->redis.channel_prefix, sub->destination);
    }
    if (publisher_.router().add(sub) && clustered()) {
        run_on_home([key = sub->relay_key, pattern = sub->wildcard](Shard& home) {
            if (Relay* relay = home.relay_link()) {
                relay->add_interest(key, pattern);
            }
        });
    }
}

void Shard::remove_topic_subscription(Subscription* sub) {
    if (publisher_.router().remove(sub) && clustered()) {
        run_on_home([key = sub->relay_key, pattern = sub->wildcard](Shard& home) {
            if (Relay* relay = home.relay_link()) {
                relay->remove_interest(key, pattern);
            }
        });
    }
}

bool Shard::defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) {
    if (!clustered()) {
        return false;
    }
    ReceiptWaiter waiter{index_, sub.session->id(), std::string(receipt), nullptr};
    run_on_home([key = sub.relay_key, pattern = sub.wildcard,
                 waiter = std::move(waiter)](Shard& home) mutable {
        if (Relay* relay = home.relay_link()) {
            relay->await_confirmation(key, pattern, std::move(waiter));
        }
    });
    return true;
}

// ---------------------------------------------------------------------------------------
// Rooms with the redis backend: the relay (home shard) runs the scripts.

bool Shard::cluster_up() const { return node_.relay_counters.connected.load() != 0; }

void Shard::publish_room_in_redis(const protocol::MessagePtr& message, const rooms::RoomRule& rule,
                                  std::string dedupe, storage::AppendDone stored) {
    run_on_home([message, max_messages = rule.max_messages, max_age_ms = rule.max_age_ms,
                 dedupe = std::move(dedupe), stored = std::move(stored)](Shard& home) {
        // A backend publish another node numbered first comes back empty too: not an error.
        const bool backend = !dedupe.empty();
        auto answered = [&rooms = home.node_.rooms, stored,
                         backend](std::optional<storage::RoomPublishReply> reply) {
            if (!reply && !backend) {
                rooms.count_storage_error("Redis did not number a room message");
            }
            stored(reply.has_value());
        };
        Relay* relay = home.relay_link();
        if (relay == nullptr) {
            return answered(std::nullopt);
        }
        relay->publish_room(message, max_messages, max_age_ms, dedupe, std::move(answered));
    });
}

void Shard::read_room_in_redis(const std::string& room, const rooms::RoomRule& rule, bool since,
                               std::uint64_t count_or_seq, RoomReadDone done) {
    Shard* asking = this;
    run_on_home([asking, room, since, count_or_seq, max_messages = rule.max_messages,
                 max_age_ms = rule.max_age_ms, done = std::move(done)](Shard& home) mutable {
        // The answer goes back to the asking shard's thread, where the session lives, through
        // its inbox even when that is this shard (never inside the relay's reply callback).
        auto answer = [asking, done](std::optional<storage::RoomReadReply> reply) {
            auto task = [done, reply = std::move(reply)](Shard&) { done(reply); };
            InboxItem item;
            item.kind = InboxItem::Kind::Run;
            item.task = std::move(task);
            asking->post(std::move(item));
        };
        Relay* relay = home.relay_link();
        if (relay == nullptr) {
            return answer(std::nullopt);
        }
        relay->read_room(room, since, count_or_seq, max_messages, max_age_ms, std::move(answer));
    });
}

// ---------------------------------------------------------------------------------------
// Presence on a cluster: the relay (home shard) reports each change to Redis.

void Shard::report_presence(std::string room, std::string member) {
    // Always through the home shard's inbox, this shard's too: the caller holds a presence
    // lock, and the relay's work is not for under it.
    InboxItem item;
    item.kind = InboxItem::Kind::Run;
    item.task = [room = std::move(room), member = std::move(member)](Shard& home) {
        if (Relay* relay = home.relay_link()) {
            relay->presence_changed(room, member);
        }
    };
    node_.shards.front()->post(std::move(item));
}

// ---------------------------------------------------------------------------------------
// User queues on a cluster: the relay (home shard) runs the scripts.

void Shard::publish_user_in_redis(const protocol::MessagePtr& message, std::uint64_t max_messages,
                                  bool drop_oldest, std::string dedupe, UserSendDone done) {
    Shard* asking = this;
    run_on_home([asking, message, max_messages, drop_oldest, dedupe = std::move(dedupe),
                 done = std::move(done)](Shard& home) mutable {
        // The answer goes back to the asking shard's thread, where the sender lives.
        auto answer = [asking, done](std::optional<storage::UserSendOutcome> outcome) {
            InboxItem item;
            item.kind = InboxItem::Kind::Run;
            item.task = [done, outcome](Shard&) { done(outcome); };
            asking->post(std::move(item));
        };
        Relay* relay = home.relay_link();
        if (relay == nullptr) {
            return answer(std::nullopt);
        }
        relay->publish_user(message, max_messages, drop_oldest, dedupe, std::move(answer));
    });
}

bool Shard::watch_user_queue(const Subscription& sub, bool watch, std::string_view receipt) {
    if (!clustered()) {
        return false;
    }
    std::optional<ReceiptWaiter> waiter;
    if (watch && !receipt.empty()) {
        waiter = ReceiptWaiter{index_, sub.session->id(), std::string(receipt), nullptr};
    }
    const bool deferred = waiter.has_value();
    run_on_home([queue = sub.destination, watch, waiter = std::move(waiter),
                 channel = relay_channel(config_->redis.channel_prefix, sub.destination)](
                    Shard& home) mutable {
        Relay* relay = home.relay_link();
        if (relay == nullptr) {
            if (waiter) {
                home.send_receipt_to(*waiter);
            }
            return;
        }
        if (!watch) {
            return relay->remove_interest(channel, false);
        }
        relay->add_interest(channel, false);
        // What waited in Redis while nobody listened joins the node's queue, which hands it
        // to the subscribed sessions (through their shards' inboxes, ahead of the RECEIPT).
        relay->drain_user_queue(queue, [&home, waiter = std::move(waiter)](auto messages) {
            for (const protocol::MessagePtr& message :
                 messages.value_or(std::vector<protocol::MessagePtr>{})) {
                home.node_.queues.enqueue(message);
            }
            if (waiter) {
                home.send_receipt_to(*waiter);
            }
        });
    });
    return deferred;
}

}  // namespace stampede::broker
