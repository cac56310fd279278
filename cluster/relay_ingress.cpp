// Relay: what comes in from Redis: subscription confirmations, messages other nodes
// published (delivered to this node's subscribers, never back to their origin), the
// watchdog's own PUBLISH, and backends' publishes on <prefix>:publish, which enter the publish
// pipeline. Home shard thread only.
#include <ev.h>

#include "cluster/relay.hpp"
#include "core/log.hpp"
#include "protocol/envelope.hpp"
#include "protocol/user_destination.hpp"

namespace stampede::broker {

void Relay::on_push(std::string_view kind, std::string_view pattern, std::string_view channel,
                    std::string_view payload) {
    if (kind == "subscribe" || kind == "psubscribe") {
        if (kind == "subscribe" && presence_rooms_ != nullptr && channel == presence_channel_) {
            presence_listening_ = true;
            presence_try_sync();
            return;
        }
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
    if (channel == presence_channel_ && presence_rooms_ != nullptr) {
        return on_presence_notice(payload);
    }
    if (channel == publish_channel_) {
        return handle_backend_publish(payload);
    }
    if (kind == "pmessage" && laravel_.is_glob(pattern)) {
        return handle_laravel(channel, payload);
    }
    auto message = protocol::decode_envelope(payload);
    if (message == nullptr) {
        log_.debug("redis: dropped an envelope that does not parse on {}", channel);
        return;
    }
    if (message->origin_node == node_id_ && message->seq == 0 &&
        !protocol::is_user_destination(message->destination)) {
        return;  // our own publish coming back: already delivered locally
    }
    // A room message (numbered in Redis) is delivered from here on every node, its origin
    // too: the channel's order is the rooms' number order. So is a user-queue message: the
    // script that sent it decided that some node would take it from the channel.
    ++counters_.received;
    deliver_(message, kind == "pmessage" ? std::string(pattern) : std::string());
}

void Relay::handle_backend_publish(std::string_view json) {
    BackendPublish form;
    if (const char* problem = read_publish_form(json, form, FormStrictness::Lenient)) {
        log_.debug("redis: {} message refused: {}", publish_channel_, problem);
        return;
    }
    if (ingress_(std::move(form), json)) {
        ++counters_.backend_published;
    }
}

void Relay::handle_laravel(std::string_view channel, std::string_view payload) {
    BackendPublish form;
    if (const char* problem = laravel_.to_publish(channel, payload, form)) {
        log_.debug("redis: laravel broadcast on {} ignored: {}", channel, problem);
        return;
    }
    // Every node receives it: the channel and payload together are its identity, so that a
    // room numbers it once (as a <prefix>:publish message).
    std::string identity(channel);
    identity.append("\n").append(payload);
    if (ingress_(std::move(form), identity)) {
        ++counters_.backend_published;
    }
}

}  // namespace stampede::broker
