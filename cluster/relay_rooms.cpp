// Relay: the redis storage backend's two commands, on the publisher connection: a room
// message numbered, kept and published by one script; a replay read once the node listens on
// the room's channel. Home shard thread only.
#include <fmt/format.h>

#include <random>

#include "cluster/relay.hpp"
#include "core/log.hpp"
#include "protocol/envelope.hpp"

namespace stampede::broker {

namespace {

// Made by this node for a history Redis has no epoch for yet; Redis keeps the first one.
std::string candidate_epoch() {
    static thread_local std::minstd_rand random{std::random_device{}()};
    return fmt::format("{:08x}{:08x}", random(), random());
}

template <typename Reply>
std::vector<std::string_view> views(const std::vector<Reply>& argv) {
    return {argv.begin(), argv.end()};
}

}  // namespace

void Relay::publish_room(const protocol::MessagePtr& message, std::uint64_t max_messages,
                         std::int64_t max_age_ms, std::string_view dedupe, RoomPublishFn done) {
    if (!can_send_one()) {
        return done(std::nullopt);
    }
    const auto argv = storage::room_publish_command(
        config_.redis.channel_prefix, message->destination,
        relay_channel(config_.redis.channel_prefix, message->destination),
        protocol::encode_envelope(*message), max_messages, max_age_ms, candidate_epoch(), dedupe);
    const bool sent = publisher_->command(
        views(argv), [this, done, backend = !dedupe.empty()](const redisReply* reply) {
            auto stored = storage::parse_room_publish(reply);
            if (stored) {
                ++counters_.published;
            } else if (!(backend && storage::is_duplicate_publish(reply))) {
                count_lost(1);
                log_.debug("redis: a room message was not stored");
            }
            done(std::move(stored));
        });
    if (!sent) {
        count_lost(1);
        done(std::nullopt);
    }
}

void Relay::read_room(const std::string& room, bool since, std::uint64_t count_or_seq,
                      std::uint64_t max_messages, std::int64_t max_age_ms, RoomReadFn done) {
    ReceiptWaiter waiter;
    waiter.then = [this, room, since, count_or_seq, max_messages, max_age_ms, done] {
        using State = storage::RedisConnection::State;
        if (publisher_ == nullptr || publisher_->state() != State::Connected) {
            return done(std::nullopt);
        }
        const auto argv =
            storage::room_read_command(config_.redis.channel_prefix, room, since, count_or_seq,
                                       max_messages, max_age_ms, candidate_epoch());
        const bool sent = publisher_->command(views(argv), [done](const redisReply* reply) {
            done(storage::parse_room_read(reply));
        });
        if (!sent) {
            done(std::nullopt);
        }
    };
    await_confirmation(relay_channel(config_.redis.channel_prefix, room), false, std::move(waiter));
}

}  // namespace stampede::broker
