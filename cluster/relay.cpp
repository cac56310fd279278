// Relay: the link to Redis for cross-node delivery: the two connections (publisher and
// subscriber), DNS off the loop, reconnects with capped jittered backoff, publishing with a
// bound on pending bytes, and the watchdog tick. Interest and receipts are in
// relay_interest.cpp, what comes in from Redis in relay_ingress.cpp. Home shard thread only.
#include "cluster/relay.hpp"

#include <arpa/inet.h>
#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>

#include "core/log.hpp"
#include "protocol/envelope.hpp"

namespace stampede::broker {
namespace {

// Presence on a cluster: how often a node says it is alive and looks for silent ones
// (a dead node's members leave at most this long after its node_ttl_s is up).
constexpr double kPresenceTickS = 0.25;

// cluster.redis.ping_interval_ms, ping_timeout_ms, max_backoff_ms, as libev wants them.
double seconds_of(std::uint32_t ms) { return ms / 1000.0; }

}  // namespace

struct Relay::Timers {
    ev_timer tick;
    ev_timer reconnect;
    ev_timer presence;  // heartbeat and reaping (presence on a cluster)
};

Relay::Relay(const config::Config& config, const std::string& node_id, Logger& log,
             RelayCounters& counters, DeliverFn deliver, IngressFn ingress, ReceiptFn receipt,
             PostFn post_home)
    : config_(config),
      node_id_(node_id),
      log_(log),
      counters_(counters),
      deliver_(std::move(deliver)),
      ingress_(std::move(ingress)),
      receipt_(std::move(receipt)),
      post_home_(std::move(post_home)),
      publish_channel_(config.redis.channel_prefix + ":publish"),
      ping_channel_(config.redis.channel_prefix + ":ping:" + node_id),
      revocations_(config.redis.channel_prefix + ":revoked"),
      laravel_(config.redis.laravel),
      timers_(std::make_unique<Timers>()) {
    std::string error;
    if (auto address = storage::parse_redis_url(config.redis.url, error)) {
        address_ = *address;
    } else {
        log_.error("cluster.redis.url: {}", error);
    }
}

Relay::~Relay() { stop(); }

void Relay::start(struct ev_loop* loop) {
    loop_ = loop;
    const auto attach = [this](redisAsyncContext* context) {
        return redisLibevAttach(loop_, context) == REDIS_OK;
    };
    publisher_ = std::make_unique<storage::RedisConnection>("publisher", attach);
    subscriber_ = std::make_unique<storage::RedisConnection>("subscriber", attach);
    publisher_->on_state([this](auto state, auto why) { on_publisher_state(state, why); });
    subscriber_->on_state([this](auto state, auto why) { on_subscriber_state(state, why); });
    subscriber_->on_push([this](auto kind, auto pattern, auto channel, auto payload) {
        on_push(kind, pattern, channel, payload);
    });
    ev_timer_init(
        &timers_->tick,
        [](struct ev_loop*, ev_timer* w, int) { static_cast<Relay*>(w->data)->on_tick(); },
        seconds_of(config_.redis.ping_interval_ms), seconds_of(config_.redis.ping_interval_ms));
    timers_->tick.data = this;
    ev_timer_start(loop_, &timers_->tick);
    ev_timer_init(
        &timers_->reconnect,
        [](struct ev_loop*, ev_timer* w, int) {
            static_cast<Relay*>(w->data)->resolve_and_connect();
        },
        0., 0.);
    timers_->reconnect.data = this;
    if (presence_rooms_ != nullptr) {
        ev_timer_init(
            &timers_->presence,
            [](struct ev_loop*, ev_timer* w, int) {
                static_cast<Relay*>(w->data)->presence_tick();
            },
            kPresenceTickS, kPresenceTickS);
        timers_->presence.data = this;
        ev_timer_start(loop_, &timers_->presence);
    }
    resolve_and_connect();
}

void Relay::stop() {
    if (stopping_ || loop_ == nullptr) {
        return;
    }
    stopping_ = true;
    ev_timer_stop(loop_, &timers_->tick);
    ev_timer_stop(loop_, &timers_->reconnect);
    if (presence_rooms_ != nullptr) {
        ev_timer_stop(loop_, &timers_->presence);
    }
    if (resolver_.joinable()) {
        resolver_.join();
    }
    publisher_.reset();
    subscriber_.reset();
}

void Relay::resolve_and_connect() {
    if (stopping_) {
        return;
    }
    in6_addr numeric{};
    if (inet_pton(AF_INET, address_.host.c_str(), &numeric) == 1 ||
        inet_pton(AF_INET6, address_.host.c_str(), &numeric) == 1) {
        connect_to(address_.host);
        return;
    }
    if (resolver_.joinable()) {
        resolver_.join();  // the previous lookup has long finished: it posted its result
    }
    // getaddrinfo blocks: it runs on its own thread and posts the answer to the home shard.
    resolver_ = std::thread([this, host = address_.host] {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        std::string ip;
        if (getaddrinfo(host.c_str(), nullptr, &hints, &found) == 0 && found != nullptr) {
            char text[INET6_ADDRSTRLEN] = "";
            const void* where =
                found->ai_family == AF_INET6
                    ? static_cast<const void*>(
                          &reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                    : static_cast<const void*>(
                          &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
            inet_ntop(found->ai_family, where, text, sizeof text);
            ip = text;
            freeaddrinfo(found);
        }
        post_home_([this, ip, host] {
            if (ip.empty()) {
                log_.warn("redis: cannot resolve {}", host);
                schedule_reconnect();
            } else {
                connect_to(ip);
            }
        });
    });
}

void Relay::connect_to(const std::string& ip) {
    if (stopping_) {
        return;
    }
    if (publisher_->state() == storage::RedisConnection::State::Disconnected) {
        publisher_->connect(ip, address_);
        last_pong_ = ev_now(loop_);
        ping_in_flight_ = false;
    }
    if (subscriber_->state() == storage::RedisConnection::State::Disconnected) {
        subscriber_->connect(ip, address_);
        last_ping_seen_ = ev_now(loop_);
        resubscribe();  // queued by hiredis until the connection is up
    }
}

void Relay::schedule_reconnect() {
    if (stopping_ || ev_is_active(&timers_->reconnect)) {
        return;
    }
    // Capped exponential backoff with jitter, so a fleet does not reconnect in lockstep.
    static thread_local std::minstd_rand random{std::random_device{}()};
    const double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(random);
    ev_timer_set(&timers_->reconnect, backoff_s_ * jitter, 0.);
    ev_timer_start(loop_, &timers_->reconnect);
    backoff_s_ = std::min(backoff_s_ * 2, seconds_of(config_.redis.max_backoff_ms));
}

void Relay::update_connected() {
    const bool up = publisher_ && subscriber_ &&
                    publisher_->state() == storage::RedisConnection::State::Connected &&
                    subscriber_->state() == storage::RedisConnection::State::Connected;
    counters_.connected = up ? 1 : 0;
    if (up) {
        backoff_s_ = 0.1;
        if (outage_logged_) {
            log_.info("redis: connected again; {} message(s) could not be relayed meanwhile",
                      lost_this_outage_);
        } else {
            log_.info("redis: connected to {}:{}", address_.host, address_.port);
        }
        outage_logged_ = false;
        lost_this_outage_ = 0;
    }
}

void Relay::on_publisher_state(storage::RedisConnection::State state, std::string_view why) {
    if (state == storage::RedisConnection::State::Disconnected) {
        counters_.connected = 0;
        log_.debug("redis publisher: {}", why);
        presence_lost();
        schedule_reconnect();
    } else if (state == storage::RedisConnection::State::Connected) {
        update_connected();
        presence_try_sync();
    }
}

void Relay::on_subscriber_state(storage::RedisConnection::State state, std::string_view why) {
    if (state == storage::RedisConnection::State::Disconnected) {
        counters_.connected = 0;
        log_.debug("redis subscriber: {}", why);
        presence_listening_ = false;
        presence_lost();
        for (auto* table : {&channels_, &patterns_}) {
            for (auto& [name, interest] : *table) {
                interest.confirmed = false;
                release_waiters(interest);  // degraded: local delivery needs no confirmation
            }
        }
        schedule_reconnect();
    } else if (state == storage::RedisConnection::State::Connected) {
        update_connected();
    }
}

bool Relay::can_send_one() {
    using State = storage::RedisConnection::State;
    if (publisher_ == nullptr || publisher_->state() != State::Connected) {
        count_lost(1);
        return false;
    }
    if (publisher_->pending_bytes() > config_.redis.max_pending_bytes) {
        ++counters_.overflow;
        count_lost(1);
        return false;
    }
    return true;
}

void Relay::count_lost(std::uint64_t messages) {
    counters_.lost += messages;
    lost_this_outage_ += messages;
    if (!outage_logged_) {
        outage_logged_ = true;
        log_.warn("redis: unavailable, delivering locally only and counting what is not relayed");
    }
}

void Relay::publish(const protocol::MessagePtr& message) {
    if (publisher_ == nullptr ||
        publisher_->state() != storage::RedisConnection::State::Connected) {
        return count_lost(1);
    }
    if (publisher_->pending_bytes() > config_.redis.max_pending_bytes) {
        ++counters_.overflow;
        return count_lost(1);
    }
    const std::string envelope = protocol::encode_envelope(*message);
    const std::string channel = relay_channel(config_.redis.channel_prefix, message->destination);
    publisher_->command({"PUBLISH", channel, envelope}, [this](const redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) {
            ++counters_.published;
        } else {
            count_lost(1);
        }
    });
}

void Relay::on_tick() {
    const double now = ev_now(loop_);
    const double timeout_s = seconds_of(config_.redis.ping_timeout_ms);
    using State = storage::RedisConnection::State;
    if (publisher_->state() == State::Connected) {
        // hiredis 0.14 has no async timeouts: a PING that stays unanswered means a hung Redis.
        if (ping_in_flight_ && now - last_pong_ > timeout_s) {
            log_.warn("redis: no answer for {:.1f} s, reconnecting", now - last_pong_);
            publisher_->close();
            subscriber_->close();
            return;
        }
        if (!ping_in_flight_) {
            ping_in_flight_ = publisher_->command({"PING"}, [this](const redisReply* reply) {
                ping_in_flight_ = false;
                if (reply != nullptr) {
                    last_pong_ = ev_now(loop_);
                }
            });
            if (!ping_in_flight_) {
                last_pong_ = now;
            }
        }
        revocations_.poll(*publisher_);
        // The subscriber cannot PING in pub/sub mode with hiredis 0.14 (the reply is lost):
        // it must see our own watchdog PUBLISH come back instead.
        publisher_->command({"PUBLISH", ping_channel_, "1"}, nullptr);
    } else {
        last_pong_ = now;
    }
    if (subscriber_->state() == State::Connected && publisher_->state() == State::Connected &&
        now - last_ping_seen_ > timeout_s) {
        log_.warn("redis: subscriber silent for {:.1f} s, reconnecting", now - last_ping_seen_);
        subscriber_->close();
    }
}

}  // namespace stampede::broker
