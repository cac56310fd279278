// Shard: what it does for authentication (brute-force guard, service-account checks on the
// worker) and for the cluster (interest, deferred receipts, relayed deliveries; the relay
// lives on the home shard). Shard thread only, except where a task says otherwise.
#include <algorithm>

#include "broker/relay.hpp"
#include "broker/server.hpp"
#include "broker/shard.hpp"
#include "protocol/destination.hpp"

namespace stampede::broker {

// ---------------------------------------------------------------------------------------
// Authentication helpers

bool Shard::auth_blocked(std::string_view ip) {
    return server_.failures().blocked(ip, FailureTracker::Clock::now());
}

bool Shard::revoked_in_cluster(std::string_view jti) const {
    return cluster_revoked_ != nullptr && !jti.empty() &&
           std::binary_search(cluster_revoked_->begin(), cluster_revoked_->end(), jti);
}

void Shard::record_auth_failure(std::string_view ip) {
    server_.failures().record_failure(ip, config_->auth.max_failures_per_minute,
                                      config_->auth.max_tracked_ips, FailureTracker::Clock::now());
}

void Shard::authenticate_async(std::uint64_t session_id, std::string login, std::string passcode) {
    // The task holds the security set it checks against, so a reload meanwhile is harmless.
    auto task = [this, session_id, security = security_, login = std::move(login),
                 passcode = std::move(passcode)] {
        auto result = security->accounts != nullptr
                          ? security->accounts->authenticate(login, passcode)
                          : auth::AuthResult<auth::Principal>::failure(
                                auth::AuthError::BadCredentials, "no such account");
        InboxItem item;
        item.kind = InboxItem::Kind::Run;
        item.task = [session_id, result = std::move(result)](Shard& shard) {
            if (const auto it = shard.connections_.find(session_id);
                it != shard.connections_.end()) {
                it->second->session().on_authenticated(result);
            }
        };
        post(std::move(item));
    };
    if (!server_.worker().submit(std::move(task))) {
        if (const auto it = connections_.find(session_id); it != connections_.end()) {
            it->second->session().on_authenticated(auth::AuthResult<auth::Principal>::failure(
                auth::AuthError::BadCredentials, "authentication queue full"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Cluster: interest, receipts and relayed deliveries. The relay lives on the home shard.

void Shard::run_on_home(std::function<void(Shard&)> task) {
    Shard& home = *server_.shards().front();
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
    auto deliver = [this](const protocol::MessagePtr& message, const std::string& glob, bool all) {
        for (auto& shard : server_.shards()) {
            if (shard.get() == this) {
                deliver_relayed(message, glob, all);
                continue;
            }
            InboxItem item;
            item.kind = InboxItem::Kind::RelayDeliver;
            item.message = message;
            item.glob = glob;
            item.all = all;
            shard->post(std::move(item));
        }
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
        server_.shards().at(waiter.shard)->post(std::move(item));
    };
    auto post_home = [this](std::function<void()> task) {
        InboxItem item;
        item.kind = InboxItem::Kind::Run;
        item.task = [task = std::move(task)](Shard&) { task(); };
        post(std::move(item));
    };
    relay_ = std::make_unique<Relay>(*config_, server_.node_id(), server_.log(),
                                     server_.relay_counters(), std::move(deliver),
                                     std::move(receipt), std::move(post_home));
    relay_->on_revoked([this](std::shared_ptr<const std::vector<std::string>> revoked) {
        for (auto& shard : server_.shards()) {
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
    if (router_.add(sub) && clustered()) {
        run_on_home([key = sub->relay_key, pattern = sub->wildcard](Shard& home) {
            home.relay().add_interest(key, pattern);
        });
    }
}

void Shard::remove_topic_subscription(Subscription* sub) {
    if (router_.remove(sub) && clustered()) {
        run_on_home([key = sub->relay_key, pattern = sub->wildcard](Shard& home) {
            home.relay().remove_interest(key, pattern);
        });
    }
}

bool Shard::defer_subscribe_receipt(const Subscription& sub, std::string_view receipt) {
    if (!clustered()) {
        return false;
    }
    ReceiptWaiter waiter{index_, sub.session->id(), std::string(receipt)};
    run_on_home([key = sub.relay_key, pattern = sub.wildcard,
                 waiter = std::move(waiter)](Shard& home) mutable {
        home.relay().await_confirmation(key, pattern, std::move(waiter));
    });
    return true;
}

void Shard::deliver_relayed(const protocol::MessagePtr& message, const std::string& glob,
                            bool all) {
    const auto& destinations = config_->destinations;
    const auto where = protocol::classify(message->destination, destinations.topic_prefixes,
                                          destinations.queue_prefixes);
    if (where.kind != protocol::DestinationKind::Topic) {
        return;
    }
    match_scratch_.clear();
    router_.match(where.prefix, where.name, match_scratch_);
    if (match_scratch_.empty()) {
        return;
    }
    const LocalMessage local(message);
    for (Subscription* sub : match_scratch_) {
        // A relayed message arrives once per Redis channel or glob the node listens on;
        // each copy is for the subscriptions of that channel or glob only.
        const bool mine =
            all || (glob.empty() ? !sub->wildcard : sub->wildcard && sub->relay_key == glob);
        if (mine) {
            sub->session->deliver_topic(local, *sub);
        }
    }
}

}  // namespace stampede::broker
