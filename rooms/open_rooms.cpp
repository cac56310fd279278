// See open_rooms.hpp.
#include "rooms/open_rooms.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/destination.hpp"

namespace stampede::rooms {

namespace {

std::size_t topic_prefix_length(const std::string& pattern, const config::Config& config) {
    const auto where = protocol::classify(pattern, config.destinations.topic_prefixes,
                                          config.destinations.queue_prefixes);
    return where.prefix.size();
}

}  // namespace

std::unique_ptr<RoomRegistry> open_rooms(const config::Config& config, std::string& error) {
    std::vector<RoomRule> rules;
    for (const config::RoomConfig& room : config.destinations.rooms) {
        std::string problem;
        auto pattern = protocol::RoomPattern::compile(
            room.pattern, topic_prefix_length(room.pattern, config), problem);
        if (!pattern) {  // the config check refuses these; a guard for callers that skip it
            error = fmt::format("room pattern '{}': {}", room.pattern, problem);
            return nullptr;
        }
        PresenceRule presence;
        presence.enabled = room.presence.enabled;
        presence.notices = room.presence.notices;
        presence.info_claim = room.presence.info_claim;
        presence.enter_body = room.presence.enter_body;
        presence.leave_body = room.presence.leave_body;
        presence.ephemeral_per_s = room.presence.ephemeral_per_s;
        presence.node_ttl_s = room.presence.node_ttl_s;
        rules.push_back({std::move(*pattern), room.history.max_messages,
                         std::int64_t{room.history.max_age_s} * 1000, std::move(presence)});
    }
    std::unique_ptr<storage::HistoryLog> log;
    if (config.storage.backend == "file") {
        storage::HistoryLogOptions options;
        options.dir = config.storage.path;
        options.fsync_interval_ms = config.storage.fsync_interval_ms;
        switch (config.storage.fsync) {
            case config::StorageFsync::Always:
                options.fsync = storage::FsyncPolicy::Always;
                break;
            case config::StorageFsync::IntervalMs:
                options.fsync = storage::FsyncPolicy::Interval;
                break;
            case config::StorageFsync::Never:
                options.fsync = storage::FsyncPolicy::Never;
                break;
        }
        std::string problem;
        log = storage::open_file_history_log(options, problem);
        if (!log) {
            error = fmt::format("storage.path '{}': {}", config.storage.path, problem);
            return nullptr;
        }
    }
    const RoomStorage storage =
        config.storage.backend == "redis" ? RoomStorage::Redis : RoomStorage::Local;
    const bool presence = std::any_of(rules.begin(), rules.end(),
                                      [](const RoomRule& rule) { return rule.presence.enabled; });
    auto registry = std::make_unique<RoomRegistry>(std::move(rules), std::move(log), storage);
    // On a cluster the members are the cluster's: counted in Redis, mirrored on every node.
    registry->set_cluster_presence(presence && !config.redis.url.empty());
    return registry;
}

}  // namespace stampede::rooms
