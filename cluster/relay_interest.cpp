// Relay: the node's interest in Redis channels and globs, reference counted over every
// subscription on every shard, and the SUBSCRIBE receipts that wait for Redis to confirm it.
// Home shard thread only.
#include "cluster/relay.hpp"

namespace stampede::broker {

void Relay::resubscribe() {
    std::vector<std::string_view> channels{publish_channel_, ping_channel_};
    if (presence_rooms_ != nullptr) {
        channels.push_back(presence_channel_);
    }
    for (const auto& [name, interest] : channels_) {
        channels.push_back(name);
    }
    subscriber_->subscribe_command("SUBSCRIBE", channels);
    // Laravel's channels from the start, not on local interest: a broadcast made before
    // anyone subscribed here still reaches the rooms' history.
    const std::vector<std::string> laravel = laravel_.globs();
    std::vector<std::string_view> patterns(laravel.begin(), laravel.end());
    for (const auto& [name, interest] : patterns_) {
        patterns.push_back(name);
    }
    subscriber_->subscribe_command("PSUBSCRIBE", patterns);
}

void Relay::release_waiters(Interest& interest) {
    for (const auto& waiter : interest.waiters) {
        if (waiter.then) {
            waiter.then();
        } else {
            receipt_(waiter);
        }
    }
    interest.waiters.clear();
}

void Relay::add_interest(const std::string& name, bool pattern) {
    Interest& interest = table(pattern)[name];
    if (++interest.count == 1 && subscriber_ != nullptr) {
        subscriber_->subscribe_command(pattern ? "PSUBSCRIBE" : "SUBSCRIBE", {name});
    }
}

void Relay::remove_interest(const std::string& name, bool pattern) {
    auto& entries = table(pattern);
    const auto it = entries.find(name);
    if (it == entries.end() || --it->second.count > 0) {
        return;
    }
    release_waiters(it->second);
    entries.erase(it);
    if (subscriber_ != nullptr) {
        subscriber_->subscribe_command(pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", {name});
    }
}

void Relay::await_confirmation(const std::string& name, bool pattern, ReceiptWaiter waiter) {
    auto& entries = table(pattern);
    const auto it = entries.find(name);
    const bool up = subscriber_ != nullptr &&
                    subscriber_->state() == storage::RedisConnection::State::Connected;
    if (it == entries.end() || it->second.confirmed || !up) {
        if (waiter.then) {
            waiter.then();
        } else {
            receipt_(waiter);
        }
        return;
    }
    it->second.waiters.push_back(std::move(waiter));
}

}  // namespace stampede::broker
