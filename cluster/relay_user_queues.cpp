// Relay: user queues across the cluster (storage/redis_user_queue.hpp): a message sent by one
// script that PUBLISHes it or keeps it; what was kept, taken once a node listens. Home shard
// thread only.
#include "cluster/relay.hpp"
#include "core/log.hpp"
#include "protocol/envelope.hpp"

namespace stampede::broker {

void Relay::publish_user(const protocol::MessagePtr& message, std::uint64_t max_messages,
                         bool drop_oldest, std::string_view dedupe, UserSendFn done) {
    if (!can_send_one()) {
        return done(std::nullopt);
    }
    const auto argv = storage::user_send_command(
        config_.redis.channel_prefix, message->destination,
        relay_channel(config_.redis.channel_prefix, message->destination),
        protocol::encode_envelope(*message), max_messages, drop_oldest, dedupe);
    const std::vector<std::string_view> views(argv.begin(), argv.end());
    const bool sent = publisher_->command(views, [this, done](const redisReply* reply) {
        const auto outcome = storage::parse_user_send(reply);
        if (!outcome) {
            count_lost(1);
            log_.debug("redis: a user-queue message was not sent");
        } else if (*outcome == storage::UserSendOutcome::Delivered ||
                   *outcome == storage::UserSendOutcome::Stored) {
            ++counters_.published;
        }
        done(outcome);
    });
    if (!sent) {
        count_lost(1);
        done(std::nullopt);
    }
}

void Relay::drain_user_queue(const std::string& queue, UserDrainFn done) {
    ReceiptWaiter waiter;
    waiter.then = [this, queue, done] {
        using State = storage::RedisConnection::State;
        if (publisher_ == nullptr || publisher_->state() != State::Connected) {
            return done(std::nullopt);
        }
        const auto argv = storage::user_drain_command(config_.redis.channel_prefix, queue);
        const std::vector<std::string_view> views(argv.begin(), argv.end());
        const bool sent = publisher_->command(views, [this, done](const redisReply* reply) {
            auto envelopes = storage::parse_user_drain(reply);
            if (!envelopes) {
                return done(std::nullopt);
            }
            std::vector<protocol::MessagePtr> messages;
            messages.reserve(envelopes->size());
            for (const std::string& envelope : *envelopes) {
                if (auto message = protocol::decode_envelope(envelope)) {
                    messages.push_back(std::move(message));
                } else {
                    log_.debug("redis: dropped a waiting user-queue envelope that does not parse");
                }
            }
            done(std::move(messages));
        });
        if (!sent) {
            done(std::nullopt);
        }
    };
    await_confirmation(relay_channel(config_.redis.channel_prefix, queue), false,
                       std::move(waiter));
}

}  // namespace stampede::broker
