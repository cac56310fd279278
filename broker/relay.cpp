// Relay: Redis pub/sub for cross-node delivery. Home shard thread only.
#include "broker/relay.hpp"

#include <arpa/inet.h>
#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <netdb.h>
#include <rapidjson/document.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>

#include "auth/base64url.hpp"
#include "broker/log.hpp"
#include "protocol/destination.hpp"
#include "protocol/parser.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {
namespace {

// cluster.redis.ping_interval_ms, ping_timeout_ms, max_backoff_ms, as libev wants them.
double seconds_of(std::uint32_t ms) { return ms / 1000.0; }

// Redis glob metacharacters in literal parts of a name.
void append_glob_literal(std::string& out, std::string_view text) {
    for (const char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
}

struct EnvelopeSink final : protocol::FrameSink {
    protocol::MessagePtr message;
    bool on_frame(const protocol::Frame& frame) override {
        if (frame.command != protocol::Command::Message) {
            return false;
        }
        std::string destination, id, origin, sender;
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& header : frame.headers) {
            if (header.name == "destination") {
                destination = header.value;
            } else if (header.name == "message-id") {
                id = header.value;
            } else if (header.name == "x-origin-node") {
                origin = header.value;
            } else if (header.name == "x-sender") {
                sender = header.value;
            } else if (header.name != "content-length") {
                headers.emplace_back(header.name, header.value);
            }
        }
        if (destination.empty() || origin.empty()) {
            return false;
        }
        message =
            protocol::Message::make(destination, std::move(id), std::move(origin),
                                    std::move(sender), std::move(headers), std::string(frame.body));
        return false;  // one frame per envelope
    }
    void on_heartbeat() override {}
};

}  // namespace

std::string relay_channel(std::string_view channel_prefix, std::string_view destination) {
    std::string channel(channel_prefix);
    channel += ":t:";
    channel += destination;
    return channel;
}

std::string relay_pattern(std::string_view channel_prefix, std::string_view prefix,
                          std::string_view pattern_name) {
    std::string glob;
    append_glob_literal(glob, channel_prefix);
    glob += ":t:";
    append_glob_literal(glob, prefix);
    const auto segments = protocol::split_segments(pattern_name);
    bool after_hash = false;  // the glob's last '*' stands for a '#' and its dots
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto segment = segments[i];
        if (segment == "#") {
            // Zero or more segments, dots included: one glob '*' swallows its neighbour dots.
            if (!after_hash) {
                glob += '*';
            }
            after_hash = true;
            continue;
        }
        if (i > 0 && !after_hash) {
            glob += '.';
        }
        after_hash = false;
        if (segment == "*") {
            glob += '*';
        } else {
            append_glob_literal(glob, segment);
        }
    }
    return glob;
}

std::string encode_envelope(const protocol::Message& message) {
    std::vector<protocol::OwnedHeader> headers;
    headers.push_back({"x-origin-node", message.origin_node});
    headers.push_back({"message-id", message.id});
    headers.push_back({"destination", message.destination});
    if (!message.sender.empty()) {
        headers.push_back({"x-sender", message.sender});
    }
    for (const auto& [name, value] : message.headers) {
        headers.push_back({name, value});
    }
    std::string out;
    protocol::append_frame(out, protocol::Command::Message, headers, message.body,
                           protocol::Version::V1_2, true);
    return out;
}

protocol::MessagePtr decode_envelope(std::string_view bytes) {
    protocol::FrameParser parser({bytes.size() + 1, 1024, bytes.size() + 1});
    parser.set_version(protocol::Version::V1_2);
    EnvelopeSink sink;
    parser.feed(std::span<const char>(bytes.data(), bytes.size()), sink);
    return sink.message;
}

// ---------------------------------------------------------------------------------------

struct Relay::Timers {
    ev_timer tick;
    ev_timer reconnect;
};

Relay::Relay(const config::Config& config, const std::string& node_id, Logger& log,
             RelayCounters& counters, DeliverFn deliver, ReceiptFn receipt, PostFn post_home)
    : config_(config),
      node_id_(node_id),
      log_(log),
      counters_(counters),
      deliver_(std::move(deliver)),
      receipt_(std::move(receipt)),
      post_home_(std::move(post_home)),
      publish_channel_(config.redis.channel_prefix + ":publish"),
      ping_channel_(config.redis.channel_prefix + ":ping:" + node_id),
      revoked_key_(config.redis.channel_prefix + ":revoked"),
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
    resolve_and_connect();
}

void Relay::stop() {
    if (stopping_ || loop_ == nullptr) {
        return;
    }
    stopping_ = true;
    ev_timer_stop(loop_, &timers_->tick);
    ev_timer_stop(loop_, &timers_->reconnect);
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
        schedule_reconnect();
    } else if (state == storage::RedisConnection::State::Connected) {
        update_connected();
    }
}

void Relay::on_subscriber_state(storage::RedisConnection::State state, std::string_view why) {
    if (state == storage::RedisConnection::State::Disconnected) {
        counters_.connected = 0;
        log_.debug("redis subscriber: {}", why);
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

void Relay::resubscribe() {
    std::vector<std::string_view> channels{publish_channel_, ping_channel_};
    for (const auto& [name, interest] : channels_) {
        channels.push_back(name);
    }
    subscriber_->subscribe_command("SUBSCRIBE", channels);
    std::vector<std::string_view> patterns;
    for (const auto& [name, interest] : patterns_) {
        patterns.push_back(name);
    }
    subscriber_->subscribe_command("PSUBSCRIBE", patterns);
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
    const std::string envelope = encode_envelope(*message);
    const std::string channel = relay_channel(config_.redis.channel_prefix, message->destination);
    publisher_->command({"PUBLISH", channel, envelope}, [this](const redisReply* reply) {
        if (reply != nullptr && reply->type == REDIS_REPLY_INTEGER) {
            ++counters_.published;
        } else {
            count_lost(1);
        }
    });
}

void Relay::release_waiters(Interest& interest) {
    for (const auto& waiter : interest.waiters) {
        receipt_(waiter);
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
        receipt_(waiter);
        return;
    }
    it->second.waiters.push_back(std::move(waiter));
}

void Relay::on_push(std::string_view kind, std::string_view pattern, std::string_view channel,
                    std::string_view payload) {
    if (kind == "subscribe" || kind == "psubscribe") {
        const bool is_pattern = kind == "psubscribe";
        auto& entries = table(is_pattern);
        const auto it = entries.find(std::string(is_pattern ? pattern : channel));
        if (it != entries.end()) {
            it->second.confirmed = true;
            release_waiters(it->second);
        }
        return;
    }
    if (kind != "message" && kind != "pmessage") {
        return;
    }
    if (channel == ping_channel_) {
        last_ping_seen_ = ev_now(loop_);
        return;
    }
    if (channel == publish_channel_) {
        return handle_backend_publish(payload);
    }
    auto message = decode_envelope(payload);
    if (message == nullptr) {
        log_.debug("redis: dropped an envelope that does not parse on {}", channel);
        return;
    }
    if (message->origin_node == node_id_) {
        return;  // our own publish coming back: already delivered locally
    }
    ++counters_.received;
    deliver_(message, kind == "pmessage" ? std::string(pattern) : std::string(), false);
}

void Relay::handle_backend_publish(std::string_view json) {
    rapidjson::Document document;
    document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        json.data(), json.size());
    if (document.HasParseError() || !document.IsObject() || !document.HasMember("destination") ||
        !document["destination"].IsString()) {
        log_.debug("redis: {} message is not a publish object", publish_channel_);
        return;
    }
    const std::string destination = document["destination"].GetString();
    std::string body;
    if (document.HasMember("body_base64") && document["body_base64"].IsString()) {
        const auto decoded = auth::base64_decode(document["body_base64"].GetString());
        if (!decoded) {
            log_.debug("redis: publish to {} has bad body_base64", destination);
            return;
        }
        body = *decoded;
    } else if (document.HasMember("body") && document["body"].IsString()) {
        body.assign(document["body"].GetString(), document["body"].GetStringLength());
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (document.HasMember("headers") && document["headers"].IsObject()) {
        for (const auto& member : document["headers"].GetObject()) {
            if (member.value.IsString()) {
                headers.emplace_back(member.name.GetString(), member.value.GetString());
            }
        }
    }
    // Topics only: a queue message published this way would be taken by every node.
    const bool topic = std::any_of(
        config_.destinations.topic_prefixes.begin(), config_.destinations.topic_prefixes.end(),
        [&](const std::string& prefix) { return destination.rfind(prefix, 0) == 0; });
    if (!topic) {
        log_.debug("redis: publish to {} ignored: not a topic", destination);
        return;
    }
    auto message =
        protocol::Message::make(destination, fmt::format("r{}-{}", node_id_, next_backend_id_++),
                                node_id_, "", std::move(headers), std::move(body));
    ++counters_.backend_published;
    deliver_(message, std::string(), true);
}

void Relay::poll_revoked() {
    // A logout on any node (SADD <prefix>:revoked <jti>) reaches every node within a tick.
    if (revoked_in_flight_ || !on_revoked_) {
        return;
    }
    revoked_in_flight_ =
        publisher_->command({"SMEMBERS", revoked_key_}, [this](const redisReply* reply) {
            revoked_in_flight_ = false;
            if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
                return;
            }
            std::vector<std::string> members;
            members.reserve(reply->elements);
            for (std::size_t i = 0; i < reply->elements; ++i) {
                const redisReply* item = reply->element[i];
                if (item->type == REDIS_REPLY_STRING) {
                    members.emplace_back(item->str, item->len);
                }
            }
            std::sort(members.begin(), members.end());
            if (members != revoked_) {
                revoked_ = members;
                on_revoked_(std::make_shared<const std::vector<std::string>>(std::move(members)));
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
        poll_revoked();
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
