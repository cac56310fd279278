// Config loader: YAML text -> Config, section by section, every problem collected with its
// line. The auth section lives in auth_section.cpp, the YAML plumbing in yaml_reader.cpp.
// Main thread only (start, --check-config and SIGHUP); nothing here may throw out.
#include "config/config.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <thread>

#include "config/yaml_reader.hpp"
#include "protocol/destination.hpp"
#include "protocol/room_pattern.hpp"

namespace stampede::config {
namespace {

using yaml::Diagnostics;
using yaml::read_bool;
using yaml::read_double;
using yaml::read_enum;
using yaml::read_nonempty_string;
using yaml::read_optional_bool;
using yaml::read_required_string;
using yaml::read_string;
using yaml::read_strings;
using yaml::read_uint;
using yaml::refuse_unsupported;
using yaml::Section;
using yaml::Where;

// More shards than this is a typo, not a machine.
constexpr unsigned kMaxShards = 1024;
// A million passcode checks waiting is hours of PBKDF2: a typo, not a queue.
constexpr std::uint64_t kMaxWorkerQueue = 1000000;
// An inbox item is ~200 bytes (plus the message it shares): 16 Mi of them is GiBs per shard.
constexpr std::uint64_t kMaxInboxItems = 1 << 24;

/// A URL path: must start with '/' (or be empty when `may_be_empty`, which disables it).
void read_url_path(Section& s, const std::string& key, std::string& out, bool may_be_empty) {
    Where where = read_string(s, key, out);
    if (where && !out.starts_with('/') && !(may_be_empty && out.empty())) {
        s.diag().error(*where,
                       fmt::format("{} must start with '/', got '{}'", s.qualify(key), out));
    }
}

bool is_loopback(const std::string& host) {
    if (host == "localhost") {
        return true;
    }
    in_addr v4{};
    if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']'
                           ? host.substr(1, host.size() - 2)
                           : host;
    in6_addr v6{};
    return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

void read_node(Section s, Config& c) {
    read_string(s, "id", c.node_id);
    read_uint(s, "shards", c.shards, 0, kMaxShards);
    s.check_unknown();
}

void read_tls(Section s, std::optional<TlsConfig>& out) {
    if (!s.present()) {
        return;
    }
    TlsConfig tls;
    read_required_string(s, "cert", tls.cert);
    read_required_string(s, "key", tls.key);
    read_string(s, "ca", tls.ca);
    if (Where w = read_string(s, "min_version", tls.min_version);
        w && tls.min_version != "1.2" && tls.min_version != "1.3") {
        yaml::report_bad_choice(s.diag(), *w, s.qualify("min_version"), {"1.2", "1.3"},
                                tls.min_version);
        tls.min_version = "1.2";
    }
    s.check_unknown();
    out = std::move(tls);
}

void read_sockjs(Section s, const ListenerConfig& l, SockjsConfig& out) {
    if (!s.present()) {
        return;
    }
    if (Where w = read_string(s, "prefix", out.prefix); w && !out.prefix.empty()) {
        if (!out.prefix.starts_with('/') || out.prefix.ends_with('/')) {
            s.diag().error(*w, fmt::format("{} must start with '/' and not end with one, got '{}'",
                                           s.qualify("prefix"), out.prefix));
        } else if (l.protocol != ListenerProtocol::Ws) {
            s.diag().error(
                *w, fmt::format("{}: SockJS is served on ws listeners only", s.qualify("prefix")));
        } else if (out.prefix == l.path) {
            s.diag().error(*w, fmt::format("{} '{}' is the listener's WebSocket path",
                                           s.qualify("prefix"), out.prefix));
        }
    }
    read_uint(s, "heartbeat_ms", out.heartbeat_ms, 100, 3600000);
    read_uint(s, "disconnect_delay_ms", out.disconnect_delay_ms, 100, 3600000);
    read_uint(s, "streaming_limit_bytes", out.streaming_limit_bytes, 4096, 1u << 30);
    s.check_unknown();
}

ListenerConfig read_listener(Section& s) {
    ListenerConfig l;
    read_required_string(s, "name", l.name);
    read_enum(s, "protocol", l.protocol,
              {{"ws", ListenerProtocol::Ws}, {"tcp", ListenerProtocol::Tcp}});
    read_nonempty_string(s, "host", l.host);
    read_uint(s, "port", l.port);
    read_url_path(s, "path", l.path, false);
    read_optional_bool(s, "anonymous", l.anonymous);
    read_strings(s, "allowed_origins", l.allowed_origins);
    read_sockjs(s.section("sockjs"), l, l.sockjs);
    read_tls(s.section("tls"), l.tls);
    s.check_unknown();
    return l;
}

// Listeners need auth.anonymous for the exposure warning, so auth is read first.
void read_listeners(Section& root, Config& c, Diagnostics& diag) {
    std::map<std::string, int> names;                     // name -> index
    std::map<std::pair<std::string, int>, int> bindings;  // host:port (non-zero) -> index
    for (Section& s : root.list("listeners")) {
        ListenerConfig l = read_listener(s);
        int index = static_cast<int>(c.listeners.size());
        if (!l.name.empty() && !names.emplace(l.name, index).second) {
            diag.error(s.where("name").value_or(s.mark()),
                       fmt::format("duplicate listener name '{}'", l.name));
        }
        if (l.port != 0) {
            auto [it, fresh] = bindings.emplace(std::pair(l.host, int{l.port}), index);
            if (!fresh) {
                diag.error(s.where("port").value_or(s.mark()),
                           fmt::format("listener '{}' uses {}:{} like listener '{}'", l.name,
                                       l.host, l.port, c.listeners[it->second].name));
            }
        }
        if (l.anonymous.value_or(c.auth.anonymous) && !is_loopback(l.host)) {
            diag.warn(s.where("anonymous").value_or(s.where("host").value_or(s.mark())),
                      fmt::format("listener '{}' allows anonymous clients on non-loopback "
                                  "host {}",
                                  l.name, l.host));
        }
        c.listeners.push_back(std::move(l));
    }
    if (c.listeners.empty()) {
        diag.error(root.where("listeners").value_or(root.mark()),
                   "at least one listener is required");
    }
}

void read_http(Section s, HttpConfig& h) {
    read_url_path(s, "health", h.health, true);
    read_url_path(s, "metrics", h.metrics, true);
    read_url_path(s, "publish", h.publish, true);
    // The admin API's routes are "<admin>/connections" and so on: a trailing '/' would double it.
    read_url_path(s, "admin", h.admin, true);
    if (const auto where = s.where("admin");
        where && h.admin.size() > 1 && h.admin.ends_with('/')) {
        s.diag().error(
            *where, fmt::format("{} must not end with '/', got '{}'", s.qualify("admin"), h.admin));
    }
    read_strings(s, "admin_roles", h.admin_roles);
    if (Where w = read_string(s, "static_dir", h.static_dir); w && !h.static_dir.empty()) {
        refuse_unsupported(s.diag(), *w, s.qualify("static_dir"), "the demo chat page");
    }
    s.check_unknown();
}

void read_limits(Section s, Limits& l) {
    read_uint(s, "max_frame_bytes", l.max_frame_bytes, 1);
    read_uint(s, "max_headers", l.max_headers, 1);
    read_uint(s, "max_header_line_bytes", l.max_header_line_bytes, 1);
    read_uint(s, "max_subscriptions_per_connection", l.max_subscriptions_per_connection, 1);
    read_uint(s, "max_pending_bytes_per_connection", l.max_pending_bytes_per_connection, 1);
    read_uint(s, "max_transaction_bytes", l.max_transaction_bytes, 1);
    read_uint(s, "max_queue_messages", l.max_queue_messages, 1);
    read_uint(s, "connect_timeout_ms", l.connect_timeout_ms, 1);
    read_uint(s, "max_connections", l.max_connections);
    read_uint(s, "max_connections_per_ip", l.max_connections_per_ip);
    read_uint(s, "max_worker_queue", l.max_worker_queue, 1, kMaxWorkerQueue);
    read_uint(s, "max_inbox_items", l.max_inbox_items, 1, kMaxInboxItems);
    read_uint(s, "write_batch_bytes", l.write_batch_bytes, 1, kMaxWriteBatchBytes);
    read_enum(s, "slow_consumer", l.slow_consumer,
              {{"disconnect", SlowConsumerPolicy::Disconnect},
               {"drop_oldest", SlowConsumerPolicy::DropOldest}});
    s.check_unknown();
}

void read_heartbeat(Section s, HeartbeatConfig& h) {
    // Before issue 11 the key was server_ms (a fixed interval); it is the same number, now a
    // floor under what the client asks for. The old name still works, with a warning.
    if (const auto old = s.where("server_ms")) {
        s.diag().warn(*old, "heartbeat.server_ms is now heartbeat.server_min_ms (the same value)");
        read_uint(s, "server_ms", h.server_min_ms);
    }
    read_uint(s, "server_min_ms", h.server_min_ms);
    read_uint(s, "client_min_ms", h.client_min_ms);
    read_double(s, "grace", h.grace, 1.0);
    s.check_unknown();
}

/// Destination prefixes: each starts and ends with '/'.
void read_prefixes(Section& s, const std::string& key, std::vector<std::string>& out) {
    Where where = read_strings(s, key, out);
    if (!where) {
        return;
    }
    if (out.empty()) {
        s.diag().error(*where, fmt::format("{} must not be empty", s.qualify(key)));
    }
    for (const std::string& p : out) {
        if (p.size() < 2 || !p.starts_with('/') || !p.ends_with('/')) {
            s.diag().error(*where, fmt::format("{} entry '{}' must start and end with '/'",
                                               s.qualify(key), p));
        }
    }
}

// The longest history a room may keep: more is a typo, and the memory backend holds it all.
constexpr std::uint64_t kMaxHistoryMessages = 1000000;

RoomConfig read_room(Section& s, const DestinationsConfig& d) {
    RoomConfig r;
    std::optional<protocol::RoomPattern> pattern;
    if (Where w = read_required_string(s, "pattern", r.pattern); w && !r.pattern.empty()) {
        const protocol::ClassifiedDestination where =
            protocol::classify(r.pattern, d.topic_prefixes, d.queue_prefixes);
        std::string why;
        if (where.kind != protocol::DestinationKind::Topic) {
            s.diag().error(
                *w, fmt::format("{} '{}' must start with a topic prefix ({})", s.qualify("pattern"),
                                r.pattern, fmt::join(d.topic_prefixes, ", ")));
        } else if (!(pattern =
                         protocol::RoomPattern::compile(r.pattern, where.prefix.size(), why))) {
            // The prefix length matters to the wildcard style only (a '/'-style pattern is
            // split on '/' as a whole), so it is passed for both.
            s.diag().error(*w, fmt::format("{} '{}': {}", s.qualify("pattern"), r.pattern, why));
        }
    }
    Section history = s.section("history");
    read_uint(history, "max_messages", r.history.max_messages, 1, kMaxHistoryMessages);
    read_uint(history, "max_age_s", r.history.max_age_s, 1);
    history.check_unknown();
    if (Where w = s.where("presence")) {
        r.presence_line = w->line;
    }
    yaml::read_presence(s, r.presence,
                        pattern ? pattern->capture_names() : std::vector<std::string>{});
    s.check_unknown();
    return r;
}

// First match wins, so a second entry with the same pattern could never apply.
void read_rooms(Section& s, DestinationsConfig& d) {
    std::map<std::string, std::string> seen;  // pattern -> the entry that has it
    for (Section& room : s.list("rooms")) {
        RoomConfig r = read_room(room, d);
        if (!r.pattern.empty()) {
            if (auto [it, fresh] = seen.emplace(r.pattern, room.name()); !fresh) {
                room.diag().error(room.where("pattern").value_or(room.mark()),
                                  fmt::format("{} '{}' repeats {}: the first match wins, so "
                                              "this entry would never apply",
                                              room.qualify("pattern"), r.pattern, it->second));
            }
        }
        d.rooms.push_back(std::move(r));
    }
}
// User queues' internal names start with this (protocol/user_destination.hpp; config/ sits
// below protocol/, so it is repeated here).
constexpr std::string_view kUserQueuesPrefix = "/user/";

// The most redeliveries a queue may allow: more is a typo, not a retry policy.
constexpr std::uint64_t kMaxRedeliveries = 1000000;

// The queue prefix `name` starts with (longest), or "" when none does. (config/ sits below
// protocol/, so this mirrors protocol::classify for queue prefixes.)
std::string_view queue_prefix_of(std::string_view name, const DestinationsConfig& d) {
    std::string_view best;
    for (const std::string& p : d.queue_prefixes) {
        if (name.starts_with(p) && p.size() > best.size()) {
            best = p;
        }
    }
    return best;
}

bool has_empty_segment(std::string_view name) {
    const auto segments = protocol::split_segments(name);
    return std::any_of(segments.begin(), segments.end(),
                       [](std::string_view segment) { return segment.empty(); });
}

bool has_wildcard(std::string_view name) {
    const auto segments = protocol::split_segments(name);
    return std::any_of(segments.begin(), segments.end(),
                       [](std::string_view segment) { return segment == "*" || segment == "#"; });
}

QueueConfig read_queue(Section& s, const DestinationsConfig& d, std::uint64_t max_messages) {
    QueueConfig q;
    q.max_messages = max_messages;
    if (Where w = read_required_string(s, "pattern", q.pattern); w && !q.pattern.empty()) {
        const std::string_view prefix = queue_prefix_of(q.pattern, d);
        if (q.pattern.starts_with(kUserQueuesPrefix)) {
            // User queues (/user/<principal>/queue/NAME): '/' separates segments too.
            std::string rest = q.pattern.substr(kUserQueuesPrefix.size());
            std::replace(rest.begin(), rest.end(), '/', '.');
            if (rest.empty() || has_empty_segment(rest)) {
                s.diag().error(*w, fmt::format("{} '{}' has an empty name segment",
                                               s.qualify("pattern"), q.pattern));
            }
        } else if (prefix.empty()) {
            s.diag().error(*w, fmt::format("{} '{}' must start with a queue prefix ({}) or /user/",
                                           s.qualify("pattern"), q.pattern,
                                           fmt::join(d.queue_prefixes, ", ")));
        } else if (q.pattern.size() == prefix.size() ||
                   has_empty_segment(std::string_view(q.pattern).substr(prefix.size()))) {
            s.diag().error(*w, fmt::format("{} '{}' has an empty name segment",
                                           s.qualify("pattern"), q.pattern));
        }
    }
    read_uint(s, "max_messages", q.max_messages, 1);
    read_uint(s, "max_bytes", q.max_bytes);
    read_enum(s, "overflow", q.overflow,
              {{"reject", QueueOverflow::Reject}, {"drop_oldest", QueueOverflow::DropOldest}});
    read_uint(s, "max_redeliveries", q.max_redeliveries, 0, kMaxRedeliveries);
    if (Where w = read_string(s, "dead_letter", q.dead_letter); w && !q.dead_letter.empty()) {
        // What it names for a sample queue must itself be a plain queue destination.
        std::string sample = q.dead_letter;
        if (const auto at = sample.find("{queue}"); at != std::string::npos) {
            sample.replace(at, 7,
                           d.queue_prefixes.empty() ? "/queue/q" : d.queue_prefixes[0] + "q");
        }
        const std::string_view prefix = queue_prefix_of(sample, d);
        if (prefix.empty() || sample.size() == prefix.size() ||
            has_wildcard(std::string_view(sample).substr(prefix.size())) ||
            sample.find('{') != std::string::npos) {
            s.diag().error(*w, fmt::format("{} '{}' must name a queue: a queue prefix and a name "
                                           "without wildcards, or contain {{queue}}, or be \"\"",
                                           s.qualify("dead_letter"), q.dead_letter));
        }
    }
    read_uint(s, "ttl_ms", q.ttl_ms);
    if (Where w = read_bool(s, "durable", q.durable); w && q.durable) {
        refuse_unsupported(s.diag(), *w, s.qualify("durable"), "issue 12");
    }
    s.check_unknown();
    return q;
}

void read_destinations(Section& s, DestinationsConfig& d, std::uint64_t max_queue_messages) {
    read_prefixes(s, "topic_prefixes", d.topic_prefixes);
    read_prefixes(s, "queue_prefixes", d.queue_prefixes);
    for (const std::string& p : d.queue_prefixes) {
        if (std::find(d.topic_prefixes.begin(), d.topic_prefixes.end(), p) !=
            d.topic_prefixes.end()) {
            s.diag().error(s.where("queue_prefixes").value_or(s.mark()),
                           fmt::format("prefix '{}' is both a topic and a queue prefix", p));
        }
    }
    read_rooms(s, d);
    for (Section& queue : s.list("queues")) {
        d.queues.push_back(read_queue(queue, d, max_queue_messages));
    }
    s.check_unknown();
}

// The longest fsync interval: past a minute, `never` says it better.
constexpr std::uint64_t kMaxFsyncIntervalMs = 60000;

// fsync and fsync_interval_ms where they do nothing: a warning, unless written at their
// default (etc/stampede.yaml lists every key with its default, whatever the backend).
void warn_unused_fsync(Section& s, const StorageConfig& st, Where fsync, Where interval) {
    const StorageConfig defaults;
    if (st.backend != "file") {
        if (fsync && st.fsync != defaults.fsync) {
            s.diag().warn(*fsync,
                          fmt::format("{} applies to the file backend only ({} is '{}')",
                                      s.qualify("fsync"), s.qualify("backend"), st.backend));
        }
        if (interval && st.fsync_interval_ms != defaults.fsync_interval_ms) {
            s.diag().warn(*interval, fmt::format("{} applies to the file backend only ({} is '{}')",
                                                 s.qualify("fsync_interval_ms"),
                                                 s.qualify("backend"), st.backend));
        }
    } else if (interval && st.fsync != StorageFsync::IntervalMs &&
               st.fsync_interval_ms != defaults.fsync_interval_ms) {
        s.diag().warn(*interval, fmt::format("{} applies only with {}: interval_ms",
                                             s.qualify("fsync_interval_ms"), s.qualify("fsync")));
    }
}

// Where room history is kept: memory (default without a cluster), file, or redis (default
// with one). The cross-check with rooms and the cluster is resolve_room_storage().
void read_storage(Section& s, StorageConfig& st) {
    bool known = true;  // a backend we can check the other keys against
    if (Where backend = read_string(s, "backend", st.backend)) {
        if (st.backend != "memory" && st.backend != "file" && st.backend != "redis") {
            yaml::report_bad_choice(s.diag(), *backend, s.qualify("backend"),
                                    {"memory", "file", "redis"}, st.backend);
            known = false;
        }
    }
    Where path = read_string(s, "path", st.path);
    Where fsync = read_enum(s, "fsync", st.fsync,
                            {{"always", StorageFsync::Always},
                             {"interval_ms", StorageFsync::IntervalMs},
                             {"never", StorageFsync::Never}});
    Where interval =
        read_uint(s, "fsync_interval_ms", st.fsync_interval_ms, 1, kMaxFsyncIntervalMs);
    if (known) {
        if (st.backend == "file" && st.path.empty()) {
            s.diag().error(path.value_or(s.where("backend").value_or(s.mark())),
                           fmt::format("{} 'file' needs {}: the folder of its segments",
                                       s.qualify("backend"), s.qualify("path")));
        } else if (st.backend != "file" && !st.path.empty()) {
            s.diag().error(*path, fmt::format("{} is set but {} is '{}': only the file backend "
                                              "uses it, so it would do nothing",
                                              s.qualify("path"), s.qualify("backend"), st.backend));
        }
        warn_unused_fsync(s, st, fsync, interval);
    }
    s.check_unknown();
}

// Rooms on a cluster need one numbering of each room's messages for every node: the redis
// backend, which is the default there. Memory or file would give each node its own x-seq.
void resolve_room_storage(Config& c, Where rooms, Where backend, Diagnostics& diag) {
    if (!backend && !c.redis.url.empty()) {
        c.storage.backend = "redis";
    }
    if (c.storage.backend == "redis" && c.redis.url.empty()) {
        diag.error(*backend,
                   "storage.backend 'redis' needs cluster.redis.url: the history lives "
                   "in that Redis");
        return;
    }
    if (c.redis.url.empty() || c.destinations.rooms.empty() ||
        (c.storage.backend != "memory" && c.storage.backend != "file")) {
        return;
    }
    diag.error(backend.value_or(rooms.value_or(YAML::Mark())),
               fmt::format("storage.backend '{}' with destinations.rooms and a cluster "
                           "(cluster.redis.url): every node would number room messages on its "
                           "own; rooms on a cluster need the redis backend (the default there)",
                           c.storage.backend));
}

// The relay's clock: a tick every ping_interval_ms sends a PING and a watchdog PUBLISH the
// subscriber must see come back; ping_timeout_ms without either means a hung Redis. The
// echo arrives just after a tick and is checked at the next ones, so a timeout under two
// intervals would reconnect a healthy link.
void read_relay_timings(Section& redis, RedisConfig& r) {
    Where interval = read_uint(redis, "ping_interval_ms", r.ping_interval_ms, 10, 60000);
    Where timeout = read_uint(redis, "ping_timeout_ms", r.ping_timeout_ms, 20, 600000);
    read_uint(redis, "max_backoff_ms", r.max_backoff_ms, 100, 600000);
    if (std::uint64_t{r.ping_timeout_ms} < 2 * std::uint64_t{r.ping_interval_ms}) {
        redis.diag().error(
            timeout.value_or(interval.value_or(redis.mark())),
            fmt::format("{} ({}) must be at least twice {} ({})", redis.qualify("ping_timeout_ms"),
                        r.ping_timeout_ms, redis.qualify("ping_interval_ms"), r.ping_interval_ms));
    }
}

void read_cluster(Section s, RedisConfig& r) {
    Section redis = s.section("redis");
    if (Where w = read_string(redis, "url", r.url); w && !r.url.empty()) {
        if (r.url.starts_with("rediss://")) {
            redis.diag().error(*w,
                               "cluster.redis.url: rediss:// (TLS) is not supported: "
                               "Debian's hiredis 0.14 has no TLS; use redis:// on a "
                               "private network or a TLS tunnel");
        } else if (!r.url.starts_with("redis://")) {
            redis.diag().error(*w, fmt::format("cluster.redis.url must start with redis://, "
                                               "got '{}'",
                                               r.url));
        }
    }
    read_nonempty_string(redis, "channel_prefix", r.channel_prefix);
    read_uint(redis, "max_pending_bytes", r.max_pending_bytes, 1);
    read_relay_timings(redis, r);
    read_laravel(redis.section("laravel"), r.laravel);
    if (!r.laravel.channels.empty() && r.url.empty()) {
        redis.diag().error(redis.where("laravel").value_or(redis.mark()),
                           "cluster.redis.laravel needs cluster.redis.url: Laravel's "
                           "broadcasts are read from that Redis");
    }
    redis.check_unknown();
    s.check_unknown();
}

void read_logging(Section s, LoggingConfig& l) {
    read_enum(s, "level", l.level,
              {{"debug", LogLevel::Debug},
               {"info", LogLevel::Info},
               {"warn", LogLevel::Warn},
               {"error", LogLevel::Error}});
    read_enum(s, "format", l.format, {{"text", LogFormat::Text}, {"json", LogFormat::Json}});
    s.check_unknown();
}

void read_shutdown(Section s, Config& c) {
    read_uint(s, "drain_s", c.drain_s);
    s.check_unknown();
}

std::string default_node_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) {
        std::snprintf(host, sizeof host, "localhost");
    }
    return fmt::format("{}:{}", host, getpid());
}

void read_root(const YAML::Node& node, Config& c, Diagnostics& diag) {
    Section root(node, "", YAML::Mark(), diag);
    read_node(root.section("node"), c);
    yaml::read_auth(root.section("auth"), c.auth);
    read_listeners(root, c, diag);
    read_http(root.section("http"), c.http);
    read_limits(root.section("limits"), c.limits);
    read_heartbeat(root.section("heartbeat"), c.heartbeat);
    Section destinations = root.section("destinations");
    read_destinations(destinations, c.destinations, c.limits.max_queue_messages);
    read_cluster(root.section("cluster"), c.redis);
    Section storage = root.section("storage");
    read_storage(storage, c.storage);
    resolve_room_storage(c, destinations.where("rooms"), storage.where("backend"), diag);
    yaml::read_offline_hook(root.section("offline_hook"), c);
    read_logging(root.section("logging"), c.logging);
    read_shutdown(root.section("shutdown"), c);
    root.check_unknown();
}

}  // namespace

ConfigResult load_config_text(const std::string& text, const std::string& path) {
    ConfigResult result;
    try {
        Diagnostics diag(path);
        auto config = std::make_shared<Config>();
        config->path = path;
        if (const std::optional<YAML::Node> root = yaml::parse_document(text, diag)) {
            try {
                read_root(*root, *config, diag);
            } catch (const YAML::Exception& e) {
                diag.error(e.mark, e.msg);
            }
        }
        if (config->node_id.empty()) {
            config->node_id = default_node_id();
        }
        if (config->shards == 0) {
            config->shards = std::max(1U, std::thread::hardware_concurrency());
        }
        result.errors = diag.errors();
        result.warnings = diag.warnings();
        if (result.errors.empty()) {
            result.config = std::move(config);
        }
    } catch (const std::exception& e) {
        result.config.reset();
        result.errors.push_back(fmt::format("{}:1: cannot load the config: {}", path, e.what()));
    }
    return result;
}

ConfigResult load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        ConfigResult result;
        result.errors.push_back(
            fmt::format("{}:1: cannot read the config file: {}", path, std::strerror(errno)));
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return load_config_text(text.str(), path);
}

}  // namespace stampede::config
