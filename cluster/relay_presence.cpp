// Relay: presence on a cluster (storage/redis_presence.hpp). This node reports to Redis which
// members its sessions hold in which rooms: everything with the sync script once a connection
// is up and listening, then what changed, coalesced while a script is in flight; it says it is
// alive four times a second, and the same script makes the members of silent nodes leave. What
// Redis publishes keeps the node's mirror (rooms/presence_mirror.hpp) current; its changes are
// announced to the shards. Home shard thread only.
#include "cluster/relay.hpp"
#include "core/log.hpp"

namespace stampede::broker {

namespace {

std::vector<std::string_view> views(const std::vector<std::string>& argv) {
    return {argv.begin(), argv.end()};
}

}  // namespace

void Relay::enable_presence(rooms::RoomRegistry& rooms, PresenceFn announce) {
    presence_rooms_ = &rooms;
    announce_presence_ = std::move(announce);
    presence_channel_ = storage::presence_channel(config_.redis.channel_prefix);
}

std::uint32_t Relay::presence_ttl(std::string_view room) const {
    const rooms::RoomRule* rule = presence_rooms_->rule_for(room);
    return rule != nullptr ? rule->presence.node_ttl_s : rooms::PresenceRule{}.node_ttl_s;
}

void Relay::presence_changed(const std::string& room, const std::string& member) {
    if (presence_rooms_ == nullptr) {
        return;
    }
    presence_dirty_.emplace(room, member);
    presence_flush();
}

void Relay::presence_lost() {
    if (presence_rooms_ == nullptr) {
        return;
    }
    // What the mirror has stays (counts go on from it); what Redis publishes from now on waits
    // for the next load. The next connection reports everything again.
    presence_synced_ = false;
    presence_rooms_->mirror().unload();
}

void Relay::presence_try_sync() {
    using State = storage::RedisConnection::State;
    if (presence_rooms_ == nullptr || presence_synced_ || presence_busy_ || !presence_listening_ ||
        publisher_ == nullptr || publisher_->state() != State::Connected) {
        return;
    }
    std::vector<storage::PresenceHeld> held;
    for (rooms::Presence::Entry& entry : presence_rooms_->presence().entries()) {
        const std::uint32_t ttl = presence_ttl(entry.room);
        held.push_back(
            {std::move(entry.room), std::move(entry.member), std::move(entry.info), ttl});
    }
    presence_dirty_.clear();  // all of it is in `held`
    const auto argv = storage::presence_sync_command(config_.redis.channel_prefix, node_id_, held);
    presence_busy_ = publisher_->command(views(argv), [this](const redisReply* reply) {
        presence_busy_ = false;
        if (!storage::parse_presence_known(reply)) {
            if (reply != nullptr) {
                log_.warn("redis: the presence sync script failed; trying again");
            }
            return;  // the next tick (or connection) tries again
        }
        presence_synced_ = true;
        presence_load();
        presence_flush();
    });
}

void Relay::presence_load() {
    const auto argv = storage::presence_load_command(config_.redis.channel_prefix);
    publisher_->command(views(argv), [this](const redisReply* reply) {
        auto load = storage::parse_presence_load(reply);
        if (!load) {
            if (reply != nullptr) {
                log_.warn("redis: cannot read the cluster's presence; trying again");
                presence_synced_ = false;
            }
            return;
        }
        for (const auto& change :
             presence_rooms_->mirror().load(load->version, std::move(load->rooms))) {
            announce_presence_(change);
        }
    });
}

void Relay::presence_flush() {
    if (!presence_synced_ || presence_busy_ || presence_dirty_.empty()) {
        return;
    }
    // Each member is reported as this node holds it now, whatever happened in between: a tab
    // closed and opened again within one round trip reports nothing new, and no order of the
    // shards' changes can leave Redis behind this node.
    std::vector<storage::PresenceReport> reports;
    reports.reserve(presence_dirty_.size());
    for (const auto& [room, member] : presence_dirty_) {
        storage::PresenceReport report{room, member, std::nullopt};
        if (auto info = presence_rooms_->presence().local_info(room, member)) {
            report.held = storage::PresenceHeld{room, member, std::move(*info), presence_ttl(room)};
        }
        reports.push_back(std::move(report));
    }
    presence_dirty_.clear();
    const auto argv =
        storage::presence_changes_command(config_.redis.channel_prefix, node_id_, reports);
    presence_busy_ = publisher_->command(views(argv), [this](const redisReply* reply) {
        presence_busy_ = false;
        const auto known = storage::parse_presence_known(reply);
        if (!known) {
            // Lost with the connection, or refused: the next sync reports everything.
            presence_synced_ = false;
            return;
        }
        if (!*known) {
            // Redis had forgotten this node (it was silent too long, or lost its data).
            presence_synced_ = false;
            return presence_try_sync();
        }
        presence_flush();
    });
    if (!presence_busy_) {
        presence_synced_ = false;
    }
}

void Relay::presence_tick() {
    using State = storage::RedisConnection::State;
    if (publisher_ == nullptr || publisher_->state() != State::Connected) {
        return;
    }
    presence_try_sync();
    if (!presence_synced_ || presence_reaping_) {
        return;
    }
    const auto argv = storage::presence_reap_command(config_.redis.channel_prefix, node_id_);
    presence_reaping_ = publisher_->command(views(argv), [this](const redisReply* reply) {
        presence_reaping_ = false;
        const auto known = storage::parse_presence_known(reply);
        if (known && !*known) {
            presence_synced_ = false;
            presence_try_sync();
        }
    });
}

void Relay::on_presence_notice(std::string_view payload) {
    const auto notice = storage::parse_presence_notice(payload);
    if (!notice) {
        log_.debug("redis: dropped a presence notice that does not parse");
        return;
    }
    if (auto change = presence_rooms_->mirror().apply(notice->version, notice->enter, notice->room,
                                                      notice->member, notice->info)) {
        announce_presence_(*change);
    }
}

}  // namespace stampede::broker
