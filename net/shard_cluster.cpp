// Shard: what it does for authentication (brute-force guard, service-account checks on the
// worker) and for the cluster (interest, deferred receipts, relayed deliveries; the relay
// lives on the home shard). Shard thread only, except where a task says otherwise.
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "cluster/relay.hpp"
#include "net/shard.hpp"
#include "protocol/destination.hpp"

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

void Shard::start_relay() {
    auto deliver = [this](const protocol::MessagePtr& message, const std::string& glob) {
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
    auto receipt = [this](const ReceiptWaiter& waiter) {
        auto send = [waiter](Shard& shard) {
            if (const auto it = shard.connections_.find(waiter.session_id);
                it != shard.connections_.end()) {
                it->second->session().send_receipt_id(waiter.receipt);
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
    };
    auto post_home = [this](std::function<void()> task) {
        InboxItem item;
        item.kind = InboxItem::Kind::Run;
        item.task = [task = std::move(task)](Shard&) { task(); };
        post(std::move(item));
    };
    relay_ = std::make_unique<Relay>(*config_, node_.node_id, node_.log, node_.relay_counters,
                                     std::move(deliver), std::move(ingress), std::move(receipt),
                                     std::move(post_home));
    relay_->on_revoked([this](std::shared_ptr<const std::vector<std::string>> revoked) {
        for (auto& shard : node_.shards) {
            InboxItem item;
            item.kind = InboxItem::Kind::Run;
            item.task = [revoked](Shard& target) {
                target.cluster_revoked_ = revoked;
                for (auto& [id, connection] : target.connections_) {
                    connection->session().on_security_reloaded();
                }
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

}  // namespace stampede::broker
