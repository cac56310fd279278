// Config: the YAML file as typed aggregates with their defaults, validated as a whole.
// Loaded on the main thread at start and on SIGHUP; shards hold a shared_ptr<const Config>.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stampede::config {

struct TlsConfig {
    std::string cert;
    std::string key;
    std::string ca;
    std::string min_version = "1.2";
};

enum class ListenerProtocol { Ws, Tcp };

/// SockJS on a ws listener (docs/protocol.md, "SockJS"). Restart-only, like the listener.
struct SockjsConfig {
    std::string prefix;                            // e.g. /ws-sockjs; empty = off
    std::uint64_t heartbeat_ms = 25000;            // an 'h' frame this often on an idle session
    std::uint64_t disconnect_delay_ms = 5000;      // a session with no receiver ends after this
    std::uint64_t streaming_limit_bytes = 131072;  // an xhr_streaming response ends after this
};

struct ListenerConfig {
    std::string name;
    ListenerProtocol protocol = ListenerProtocol::Ws;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string path = "/ws";
    std::optional<bool> anonymous;  // null = follow auth.anonymous
    std::vector<std::string> allowed_origins;
    SockjsConfig sockjs;
    std::optional<TlsConfig> tls;
};

struct HttpConfig {
    std::string health = "/health";
    std::string metrics = "/metrics";
    std::string publish = "/api/v1/publish";
    std::string static_dir;  // planned (the demo page): anything but "" is refused today
    std::string admin = "/api/v1/admin";               // the admin API's prefix; "" = off
    std::vector<std::string> admin_roles = {"admin"};  // any one of them opens the admin API
};

enum class SlowConsumerPolicy { Disconnect, DropOldest };

/// The largest limits.write_batch_bytes. lws is told at start that one write may be this big
/// (lws_glue.cpp); a longer one it sends in pieces from a copy of the rest.
inline constexpr std::uint64_t kMaxWriteBatchBytes = 64 * 1024;

struct Limits {
    std::uint64_t max_frame_bytes = 1114112;  // a 1 MiB body with 64 KiB of headers
    std::uint64_t max_headers = 64;
    std::uint64_t max_header_line_bytes = 8192;
    std::uint64_t max_subscriptions_per_connection = 1024;
    std::uint64_t max_pending_bytes_per_connection = 4194304;
    std::uint64_t max_transaction_bytes = 1114112;
    std::uint64_t max_queue_messages = 100000;
    std::uint64_t connect_timeout_ms = 30000;  // open connection -> CONNECT, else ERROR
    std::uint64_t max_connections = 0;         // per node; 0 = no limit beyond the fd limit
    std::uint64_t max_connections_per_ip = 0;  // per client address; 0 = no limit
    std::uint64_t max_worker_queue = 10000;    // passcode checks waiting for the worker
    std::uint64_t max_inbox_items = 1 << 20;   // per shard; past it cross-shard publishes drop
    std::uint64_t write_batch_bytes = kMaxWriteBatchBytes;  // queued output per socket write
    SlowConsumerPolicy slow_consumer = SlowConsumerPolicy::Disconnect;
};

struct HeartbeatConfig {
    // The broker beats every max(server_min_ms, the client's cy): a client asking for 1 s gets
    // 1 s, down to this floor. 0 = never.
    std::uint32_t server_min_ms = 1000;
    std::uint32_t client_min_ms = 1000;
    double grace = 2.0;
};

struct UserConfig {
    std::string login;
    std::string passcode_hash;
    std::string passcode;  // development only, warned about
    std::vector<std::string> roles;
};

struct JwtKeysConfig {
    std::string secret;  // secret / secret_env / secret_file resolved into this
    std::string public_key_file;
    std::string jwks_file;
    std::string jwks_url;
    std::uint32_t jwks_refresh_s = 300;
};

struct JwtIssuerConfig {
    std::string name;
    std::string issuer;
    std::vector<std::string> audience;
    std::vector<std::string> algorithms;
    JwtKeysConfig keys;
    std::string principal_claim = "sub";
    std::string principal_prefix;  // prepended to the claim: keeps two issuers' equal ids apart
    std::string roles_claim = "roles";
    std::uint32_t leeway_s = 30;
    bool disconnect_on_expiry = true;  // on_expiry: disconnect | ignore
};

struct AclRuleConfig {
    std::string destination;
    std::vector<std::string> subscribe;
    std::vector<std::string> send;
};

struct AuthConfig {
    bool anonymous = false;
    std::string token_header;
    /// SUBSCRIBE /stampede/token gets a MESSAGE this long before the credential expires; 0 =
    /// no warning.
    std::uint32_t token_warning_s = 60;
    std::uint32_t max_failures_per_minute = 10;
    std::uint32_t max_tracked_ips = 100000;  // client IPs whose failures are counted
    std::vector<std::string> revoked_jti;
    std::string revoked_jti_file;
    std::vector<std::string> trusted_proxies;
    std::vector<UserConfig> users;
    std::vector<JwtIssuerConfig> jwt;
    std::vector<AclRuleConfig> acl;
};

/// A room's history: what the storage backend keeps for x-history / x-since-seq replays.
struct HistoryConfig {
    std::uint32_t max_messages = 100;  // 1..1000000
    std::uint32_t max_age_s = 86400;   // >= 1
};

/// destinations.rooms[].presence (DESIGN.md "Rooms"): `true` is { enabled: true }, absent
/// is off. Single node only: with cluster.redis.url, presence on is a config error until
/// cluster-wide presence is built.
struct PresenceConfig {
    bool enabled = false;
    bool notices = true;                 // enter/leave MESSAGEs in the room
    std::uint32_t node_ttl_s = 15;       // a dead node's members leave after this (cluster only)
    std::string info_claim;              // a JWT claim shown beside each member in snapshots
    std::string enter_body;              // notice_body.enter: a template; "" = the default JSON
    std::string leave_body;              // notice_body.leave
    std::uint32_t ephemeral_per_s = 10;  // x-ephemeral SENDs per principal per second
    bool operator==(const PresenceConfig&) const = default;
};

/// destinations.rooms[]: topics with room features (x-seq, x-epoch, history). A topic is
/// the room of the first entry whose pattern matches it (first match wins); the pattern was
/// checked with protocol::RoomPattern::compile and starts with a topic prefix.
struct RoomConfig {
    std::string pattern;
    HistoryConfig history;
    PresenceConfig presence;
    int presence_line = -1;  // 0-based line of `presence` (the cluster check's error); -1 none
};

enum class QueueOverflow { Reject, DropOldest };

/// destinations.queues[]: the first entry whose pattern matches a queue's destination applies;
/// a queue that matches none gets these defaults (max_messages: limits.max_queue_messages).
struct QueueConfig {
    std::string pattern;                  // a queue prefix then a wildcard name: "/queue/orders.#"
    std::uint64_t max_messages = 100000;  // waiting messages; absent = limits.max_queue_messages
    std::uint64_t max_bytes = 0;          // sum of waiting bodies; 0 = no bound
    QueueOverflow overflow = QueueOverflow::Reject;
    std::uint32_t max_redeliveries = 5;
    std::string dead_letter = "{queue}.dlq";  // {queue} = the destination; "" = drop
    std::uint64_t ttl_ms = 0;                 // 0 = none
    bool durable = false;                     // refused when true (storage issue)
};

struct DestinationsConfig {
    std::vector<std::string> topic_prefixes = {"/topic/"};
    std::vector<std::string> queue_prefixes = {"/queue/"};
    std::vector<RoomConfig> rooms;
    std::vector<QueueConfig> queues;
};

enum class StorageFsync { Always, IntervalMs, Never };

/// storage: where room history is kept. `backend` memory (the embedded default) or file
/// (append-only segments under `path`, which it requires); redis is not built yet (issue
/// 12) and is refused, and so is memory or file with rooms and a cluster (each node would
/// number room messages on its own). fsync applies to the file backend only.
struct StorageConfig {
    std::string backend = "memory";  // memory | file (redis refused)
    std::string path;                // file backend: its folder; "" with any other backend
    StorageFsync fsync = StorageFsync::IntervalMs;
    std::uint32_t fsync_interval_ms = 100;  // 1..60000, with fsync interval_ms
};

/// cluster.redis.laravel.channels: a Laravel broadcast channel (after the prefix), '.'-separated
/// with {name} captures (protocol::ChannelPattern, checked at load), and the destination its
/// broadcasts go to, which may use the captures.
struct LaravelChannel {
    std::string channel;
    std::string destination;
};

/// cluster.redis.laravel: Laravel's Redis broadcaster read as a publisher.
struct LaravelIngress {
    std::string prefix;  // before every channel name (Laravel's Redis prefix)
    std::vector<LaravelChannel> channels;
};

struct RedisConfig {
    std::string url;  // empty = single node
    std::string channel_prefix = "stampede";
    std::uint64_t max_pending_bytes = 16777216;
    std::uint32_t ping_interval_ms = 500;  // PING, watchdog PUBLISH, revoked set read
    std::uint32_t ping_timeout_ms = 3000;  // no PONG / no echo that long: reconnect
    std::uint32_t max_backoff_ms = 5000;   // reconnect delays double up to this
    LaravelIngress laravel;
};

/// offline_hook (DESIGN.md "Rooms", "Offline hook"): room messages for members who are away,
/// POSTed to a webhook. One node with the memory backend only (memberships live there): the
/// Redis stream, and the webhook with a cluster or the file backend, are refused.
struct OfflineHookConfig {
    bool redis_stream = false;   // XADD to <prefix>:notify: refused (not built yet)
    std::string webhook_url;     // http:// or https://; "" = no webhook
    std::string webhook_secret;  // HMAC-SHA256 key of X-Stampede-Signature; required with a URL
    std::uint32_t debounce_ms = 5000;  // a member is offline this long after its last session
    bool webhook() const { return !webhook_url.empty(); }
    bool operator==(const OfflineHookConfig&) const = default;
};

enum class LogLevel { Debug, Info, Warn, Error };
enum class LogFormat { Text, Json };

struct LoggingConfig {
    LogLevel level = LogLevel::Info;
    LogFormat format = LogFormat::Text;
};

struct Config {
    std::string path;     // the file it came from
    std::string node_id;  // default hostname:pid, filled in by load_config
    unsigned shards = 0;  // 0 in the file = one per core; load_config resolves it to >= 1
    std::vector<ListenerConfig> listeners;
    HttpConfig http;
    Limits limits;
    HeartbeatConfig heartbeat;
    AuthConfig auth;
    DestinationsConfig destinations;
    StorageConfig storage;
    RedisConfig redis;  // cluster.redis
    OfflineHookConfig offline_hook;
    LoggingConfig logging;
    std::uint32_t drain_s = 10;  // shutdown.drain_s
};

using ConfigPtr = std::shared_ptr<const Config>;

struct ConfigResult {
    ConfigPtr config;                 // null when errors is non-empty
    std::vector<std::string> errors;  // every problem found, each "file:line: message"
    std::vector<std::string> warnings;
};

/// Reads, interpolates ${VAR}, resolves K_file keys, types and validates the whole file.
/// Never throws.
ConfigResult load_config(const std::string& path);
/// Same from text already in memory (`path` names it in messages). For tests.
ConfigResult load_config_text(const std::string& text, const std::string& path);

}  // namespace stampede::config
