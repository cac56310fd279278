// Config loader: defaults, every key typed, each bad value at its exact file:line, unknown
// keys, several errors at once, warnings, and the shipped etc/stampede.yaml.
#include "config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

#include "config_test_support.hpp"
#include "config_test_util.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using testing::load;
using testing::load_good;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The YAML in these tests starts on the line after R"( so that line 1 is its first line.
std::string expected_node_id() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + ":" + std::to_string(getpid());
}

constexpr const char* kOneListener = R"(
listeners:
  - name: web
)";

TEST(ConfigTest, DefaultsApplyWhenKeysAreAbsent) {
    ConfigPtr c = load_good(kOneListener);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->path, "t.yaml");
    EXPECT_EQ(c->node_id, expected_node_id());
    EXPECT_EQ(c->shards, std::max(1U, std::thread::hardware_concurrency()));
    ASSERT_EQ(c->listeners.size(), 1U);
    const ListenerConfig& l = c->listeners[0];
    EXPECT_EQ(l.name, "web");
    EXPECT_EQ(l.protocol, ListenerProtocol::Ws);
    EXPECT_EQ(l.host, "127.0.0.1");
    EXPECT_EQ(l.port, 0);
    EXPECT_EQ(l.path, "/ws");
    EXPECT_FALSE(l.anonymous.has_value());
    EXPECT_THAT(l.allowed_origins, IsEmpty());
    EXPECT_FALSE(l.tls.has_value());
    EXPECT_EQ(c->http.health, "/health");
    EXPECT_EQ(c->http.metrics, "/metrics");
    EXPECT_EQ(c->http.publish, "/api/v1/publish");
    EXPECT_EQ(c->http.static_dir, "");
    EXPECT_EQ(c->limits.max_frame_bytes, 1114112U);
    EXPECT_EQ(c->limits.max_headers, 64U);
    EXPECT_EQ(c->limits.max_header_line_bytes, 8192U);
    EXPECT_EQ(c->limits.max_subscriptions_per_connection, 1024U);
    EXPECT_EQ(c->limits.max_pending_bytes_per_connection, 4194304U);
    EXPECT_EQ(c->limits.max_transaction_bytes, 1114112U);
    EXPECT_EQ(c->limits.max_queue_messages, 100000U);
    EXPECT_EQ(c->limits.max_worker_queue, 10000U);
    EXPECT_EQ(c->limits.max_inbox_items, 1048576U);
    EXPECT_EQ(c->limits.write_batch_bytes, 65536U);
    EXPECT_EQ(c->limits.slow_consumer, SlowConsumerPolicy::Disconnect);
    EXPECT_EQ(c->heartbeat.server_min_ms, 1000U);
    EXPECT_EQ(c->heartbeat.client_min_ms, 1000U);
    EXPECT_DOUBLE_EQ(c->heartbeat.grace, 2.0);
    EXPECT_FALSE(c->auth.anonymous);
    EXPECT_EQ(c->auth.token_header, "");
    EXPECT_EQ(c->auth.token_warning_s, 60U);
    EXPECT_EQ(c->auth.max_failures_per_minute, 10U);
    EXPECT_EQ(c->auth.max_tracked_ips, 100000U);
    EXPECT_THAT(c->auth.revoked_jti, IsEmpty());
    EXPECT_THAT(c->auth.users, IsEmpty());
    EXPECT_THAT(c->auth.jwt, IsEmpty());
    EXPECT_THAT(c->auth.acl, IsEmpty());
    EXPECT_THAT(c->destinations.topic_prefixes, ElementsAre("/topic/"));
    EXPECT_THAT(c->destinations.queue_prefixes, ElementsAre("/queue/"));
    EXPECT_THAT(c->destinations.rooms, IsEmpty());
    EXPECT_EQ(c->storage.backend, "memory");
    EXPECT_EQ(c->redis.url, "");
    EXPECT_EQ(c->redis.channel_prefix, "stampede");
    EXPECT_EQ(c->redis.max_pending_bytes, 16777216U);
    EXPECT_EQ(c->redis.ping_interval_ms, 500U);
    EXPECT_EQ(c->redis.ping_timeout_ms, 3000U);
    EXPECT_EQ(c->redis.max_backoff_ms, 5000U);
    EXPECT_EQ(c->logging.level, LogLevel::Info);
    EXPECT_EQ(c->logging.format, LogFormat::Text);
    EXPECT_EQ(c->drain_s, 10U);
}

TEST(ConfigTest, EveryKeyIsParsed) {
    ConfigPtr c = load_good(R"(
node: { id: "n1", shards: 3 }
listeners:
  - name: web
    protocol: ws
    host: 127.0.0.2
    port: 15674
    path: /stomp
    anonymous: false
    allowed_origins: [https://a.example, https://b.example]
    tls: { cert: /c.pem, key: /k.pem, ca: /ca.pem, min_version: "1.3" }
  - { name: backend, protocol: tcp, host: ::1, port: 61613, anonymous: true }
http: { health: /h, metrics: /m, publish: /p, static_dir: "" }
limits:
  max_frame_bytes: 1
  max_headers: 2
  max_header_line_bytes: 3
  max_subscriptions_per_connection: 4
  max_pending_bytes_per_connection: 5
  max_transaction_bytes: 6
  max_queue_messages: 7
  max_worker_queue: 8
  max_inbox_items: 9
  write_batch_bytes: 10
  slow_consumer: drop_oldest
heartbeat: { server_min_ms: 0, client_min_ms: 0, grace: 1.5 }
auth:
  anonymous: true
  token_header: token
  token_warning_s: 0
  max_failures_per_minute: 0
  max_tracked_ips: 7
  revoked_jti: [a, b]
  revoked_jti_file: /var/lib/stampede/revoked
  trusted_proxies: [10.0.0.0/8, "::1", 192.168.1.1]
  users:
    - { login: svc, passcode_hash: "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==", roles: [publisher] }
  jwt:
    - name: members
      issuer: https://id.example.com
      audience: chat
      algorithms: [RS256, ES256]
      keys: { jwks_url: https://id.example.com/jwks, jwks_refresh_s: 60 }
      principal_claim: email
      roles_claim: /realm_access/roles
      leeway_s: 5
      on_expiry: ignore
    - { name: svc, audience: [a, b], algorithms: [HS512],
        keys: { secret: "0123456789abcdef0123456789abcdef" } }
  acl:
    - { destination: "/topic/room.*", subscribe: [member], send: [member, admin] }
destinations:
  topic_prefixes: [/topic/, /sub/]
  queue_prefixes: [/queue/]
  rooms: []
storage: { backend: memory, path: "" }
cluster:
  redis: { url: "redis://h:6379/1", channel_prefix: sp, max_pending_bytes: 99,
           ping_interval_ms: 100, ping_timeout_ms: 250, max_backoff_ms: 1000 }
logging: { level: debug, format: json }
shutdown: { drain_s: 3 }
)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->node_id, "n1");
    EXPECT_EQ(c->shards, 3U);
    ASSERT_EQ(c->listeners.size(), 2U);
    const ListenerConfig& web = c->listeners[0];
    EXPECT_EQ(web.host, "127.0.0.2");
    EXPECT_EQ(web.port, 15674);
    EXPECT_EQ(web.path, "/stomp");
    EXPECT_EQ(web.anonymous, std::optional<bool>(false));
    EXPECT_THAT(web.allowed_origins, ElementsAre("https://a.example", "https://b.example"));
    ASSERT_TRUE(web.tls.has_value());
    EXPECT_EQ(web.tls->cert, "/c.pem");
    EXPECT_EQ(web.tls->key, "/k.pem");
    EXPECT_EQ(web.tls->ca, "/ca.pem");
    EXPECT_EQ(web.tls->min_version, "1.3");
    const ListenerConfig& backend = c->listeners[1];
    EXPECT_EQ(backend.protocol, ListenerProtocol::Tcp);
    EXPECT_EQ(backend.host, "::1");
    EXPECT_EQ(backend.port, 61613);
    EXPECT_EQ(backend.anonymous, std::optional<bool>(true));
    EXPECT_EQ(c->http.health, "/h");
    EXPECT_EQ(c->http.metrics, "/m");
    EXPECT_EQ(c->http.publish, "/p");
    EXPECT_EQ(c->http.static_dir, "");
    EXPECT_EQ(c->limits.max_frame_bytes, 1U);
    EXPECT_EQ(c->limits.max_headers, 2U);
    EXPECT_EQ(c->limits.max_header_line_bytes, 3U);
    EXPECT_EQ(c->limits.max_subscriptions_per_connection, 4U);
    EXPECT_EQ(c->limits.max_pending_bytes_per_connection, 5U);
    EXPECT_EQ(c->limits.max_transaction_bytes, 6U);
    EXPECT_EQ(c->limits.max_queue_messages, 7U);
    EXPECT_EQ(c->limits.max_worker_queue, 8U);
    EXPECT_EQ(c->limits.max_inbox_items, 9U);
    EXPECT_EQ(c->limits.write_batch_bytes, 10U);
    EXPECT_EQ(c->limits.slow_consumer, SlowConsumerPolicy::DropOldest);
    EXPECT_EQ(c->heartbeat.server_min_ms, 0U);
    EXPECT_EQ(c->heartbeat.client_min_ms, 0U);
    EXPECT_DOUBLE_EQ(c->heartbeat.grace, 1.5);
    const AuthConfig& a = c->auth;
    EXPECT_TRUE(a.anonymous);
    EXPECT_EQ(a.token_header, "token");
    EXPECT_EQ(a.token_warning_s, 0U);
    EXPECT_EQ(a.max_failures_per_minute, 0U);
    EXPECT_EQ(a.max_tracked_ips, 7U);
    EXPECT_THAT(a.revoked_jti, ElementsAre("a", "b"));
    EXPECT_EQ(a.revoked_jti_file, "/var/lib/stampede/revoked");
    EXPECT_THAT(a.trusted_proxies, ElementsAre("10.0.0.0/8", "::1", "192.168.1.1"));
    ASSERT_EQ(a.users.size(), 1U);
    EXPECT_EQ(a.users[0].login, "svc");
    EXPECT_EQ(a.users[0].passcode_hash, "pbkdf2-sha256$600000$c2FsdA==$aGFzaA==");
    EXPECT_THAT(a.users[0].roles, ElementsAre("publisher"));
    ASSERT_EQ(a.jwt.size(), 2U);
    const JwtIssuerConfig& members = a.jwt[0];
    EXPECT_EQ(members.name, "members");
    EXPECT_EQ(members.issuer, "https://id.example.com");
    EXPECT_THAT(members.audience, ElementsAre("chat"));
    EXPECT_THAT(members.algorithms, ElementsAre("RS256", "ES256"));
    EXPECT_EQ(members.keys.jwks_url, "https://id.example.com/jwks");
    EXPECT_EQ(members.keys.jwks_refresh_s, 60U);
    EXPECT_EQ(members.principal_claim, "email");
    EXPECT_EQ(members.roles_claim, "/realm_access/roles");
    EXPECT_EQ(members.leeway_s, 5U);
    EXPECT_FALSE(members.disconnect_on_expiry);
    EXPECT_THAT(a.jwt[1].audience, ElementsAre("a", "b"));
    EXPECT_EQ(a.jwt[1].keys.secret, "0123456789abcdef0123456789abcdef");
    EXPECT_TRUE(a.jwt[1].disconnect_on_expiry);
    ASSERT_EQ(a.acl.size(), 1U);
    EXPECT_EQ(a.acl[0].destination, "/topic/room.*");
    EXPECT_THAT(a.acl[0].subscribe, ElementsAre("member"));
    EXPECT_THAT(a.acl[0].send, ElementsAre("member", "admin"));
    EXPECT_THAT(c->destinations.topic_prefixes, ElementsAre("/topic/", "/sub/"));
    EXPECT_THAT(c->destinations.rooms, IsEmpty());
    EXPECT_EQ(c->storage.backend, "memory");
    EXPECT_EQ(c->storage.path, "");
    EXPECT_EQ(c->redis.url, "redis://h:6379/1");
    EXPECT_EQ(c->redis.channel_prefix, "sp");
    EXPECT_EQ(c->redis.max_pending_bytes, 99U);
    EXPECT_EQ(c->redis.ping_interval_ms, 100U);
    EXPECT_EQ(c->redis.ping_timeout_ms, 250U);
    EXPECT_EQ(c->redis.max_backoff_ms, 1000U);
    EXPECT_EQ(c->logging.level, LogLevel::Debug);
    EXPECT_EQ(c->logging.format, LogFormat::Json);
    EXPECT_EQ(c->drain_s, 3U);
}

TEST(ConfigTest, BadScalarsAreReportedAtTheirLine) {
    EXPECT_THAT(errors_of(R"(
listeners:
  - name: web
    port: 70000
limits:
  max_frame_bytes: 0
heartbeat:
  grace: 0.5
)"),
                ElementsAre("t.yaml:3: listeners[0].port must be an integer from 0 to 65535, "
                            "got '70000'",
                            "t.yaml:5: limits.max_frame_bytes must be a positive integer, got '0'",
                            "t.yaml:7: heartbeat.grace must be a number >= 1.0, got '0.5'"));
}

TEST(ConfigTest, EachKindOfBadValueHasItsMessage) {
    struct Case {
        const char* yaml;
        const char* error;
    };
    const Case cases[] = {
        {"node: { shards: -1 }",
         "t.yaml:1: node.shards must be an integer from 0 to 1024, got '-1'"},
        {"limits: { max_headers: abc }",
         "t.yaml:1: limits.max_headers must be a positive integer, got 'abc'"},
        {"limits: { max_worker_queue: 1000001 }",
         "t.yaml:1: limits.max_worker_queue must be an integer from 1 to 1000000, got '1000001'"},
        {"limits: { max_inbox_items: 0 }",
         "t.yaml:1: limits.max_inbox_items must be an integer from 1 to 16777216, got '0'"},
        {"limits: { write_batch_bytes: 65537 }",
         "t.yaml:1: limits.write_batch_bytes must be an integer from 1 to 65536, got '65537'"},
        {"limits: { slow_consumer: block }",
         "t.yaml:1: limits.slow_consumer must be disconnect or drop_oldest, got 'block'"},
        {"heartbeat: { server_min_ms: [1] }",
         "t.yaml:1: heartbeat.server_min_ms must be an integer, got a list"},
        {"auth: { anonymous: maybe }",
         "t.yaml:1: auth.anonymous must be true or false, got 'maybe'"},
        {"logging: { level: loud }",
         "t.yaml:1: logging.level must be debug, info, warn or error, got 'loud'"},
        {"logging: { format: xml }", "t.yaml:1: logging.format must be text or json, got 'xml'"},
        {"shutdown: { drain_s: 1.5 }",
         "t.yaml:1: shutdown.drain_s must be an integer from 0 to 4294967295, got '1.5'"},
        {"storage: { backend: disk }",
         "t.yaml:1: storage.backend must be memory, file or redis, got 'disk'"},
        {"storage: { backend: file }",
         "t.yaml:1: storage.backend 'file' needs storage.path: the folder of its segments"},
        {"storage: { backend: redis }",
         "t.yaml:1: storage.backend 'redis' needs cluster.redis.url: the history lives in that "
         "Redis"},
        {"storage: { fsync: sometimes }",
         "t.yaml:1: storage.fsync must be always, interval_ms or never, got 'sometimes'"},
        {"storage: { fsync_interval_ms: 60001 }",
         "t.yaml:1: storage.fsync_interval_ms must be an integer from 1 to 60000, got '60001'"},
        {"cluster: { redis: { url: \"http://h\" } }",
         "t.yaml:1: cluster.redis.url must start with redis://, got 'http://h'"},
        {"cluster: { redis: { ping_interval_ms: 5 } }",
         "t.yaml:1: cluster.redis.ping_interval_ms must be an integer from 10 to 60000, got '5'"},
        {"cluster: { redis: { max_backoff_ms: 50 } }",
         "t.yaml:1: cluster.redis.max_backoff_ms must be an integer from 100 to 600000, got '50'"},
        {"http: { health: health }", "t.yaml:1: http.health must start with '/', got 'health'"},
        {"destinations: { topic_prefixes: [/topic] }",
         "t.yaml:1: destinations.topic_prefixes entry '/topic' must start and end with '/'"},
        {"destinations: { queue_prefixes: [/topic/] }",
         "t.yaml:1: prefix '/topic/' is both a topic and a queue prefix"},
        {"auth: { token_warning_s: 86401 }",
         "t.yaml:1: auth.token_warning_s must be an integer from 0 to 86400, got '86401'"},
        {"auth: { token_warning_s: -1 }",
         "t.yaml:1: auth.token_warning_s must be an integer from 0 to 86400, got '-1'"},
        {"auth: { max_tracked_ips: 0 }",
         "t.yaml:1: auth.max_tracked_ips must be an integer from 1 to 10000000, got '0'"},
        {"auth: { trusted_proxies: [10.0.0.0/33] }",
         "t.yaml:1: auth.trusted_proxies entry '10.0.0.0/33' is not an IP address or CIDR range"},
        {"auth: { acl: [ { destination: topic } ] }",
         "t.yaml:1: auth.acl[0].destination must start with '/', got 'topic'"},
        {"auth: { acl: [ { send: [a] } ] }", "t.yaml:1: auth.acl[0].destination is required"},
        {"auth: { acl: [ { destination: /t, send: a } ] }",
         "t.yaml:1: auth.acl[0].send must be a list of strings, got 'a'"},
        {"auth: { users: [ { passcode: x } ] }", "t.yaml:1: auth.users[0].login is required"},
        {"auth: { users: [ { login: a } ] }",
         "t.yaml:1: user 'a' needs passcode_hash (or passcode)"},
        {"auth: { users: [ { login: a, passcode_hash: x } ] }",
         "t.yaml:1: auth.users[0].passcode_hash must look like "
         "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"},
        {"auth: { users: 3 }", "t.yaml:1: auth.users must be a list, got '3'"},
        {"limits: 3", "t.yaml:1: limits must be a map, got '3'"},
    };
    for (const Case& c : cases) {
        std::string yaml = std::string(c.yaml) + "\nlisteners: [ { name: web } ]\n";
        EXPECT_THAT(errors_of(yaml), ElementsAre(c.error)) << c.yaml;
    }
}

// Keys of features not built yet (static files) are
// parsed, so the error names the line, and refused unless they hold their default: a config
// that sets them would otherwise run and silently do nothing.
TEST(ConfigTest, PlannedFeaturesAreRefusedAtTheirLine) {
    EXPECT_THAT(
        errors_of(R"(
listeners:
  - name: web
http:
  static_dir: /srv/www
)"),
        ElementsAre(
            "t.yaml:4: http.static_dir is not supported yet (planned: the demo chat page)"));
}

TEST(ConfigTest, PlannedFeaturesWrittenAtTheirDefaultsAreAccepted) {
    ConfigPtr c = load_good(R"(
listeners: [ { name: web } ]
http: { static_dir: "" }
destinations: { rooms: [] }
storage: { backend: memory, path: "" }
)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->http.static_dir, "");
    EXPECT_THAT(c->destinations.rooms, IsEmpty());
    EXPECT_EQ(c->storage.backend, "memory");
}

TEST(ConfigTest, ListenerRules) {
    EXPECT_THAT(errors_of(R"(
listeners:
  - name: web
    protocol: udp
    path: ws
    anonymous: maybe
    tls: { cert: /c.pem, min_version: 1.1 }
  - { name: web, port: 1 }
  - { name: other, port: 1 }
  - { port: 2 }
  - 42
)"),
                ElementsAre("t.yaml:3: listeners[0].protocol must be ws or tcp, got 'udp'",
                            "t.yaml:4: listeners[0].path must start with '/', got 'ws'",
                            "t.yaml:5: listeners[0].anonymous must be null, true or false, "
                            "got 'maybe'",
                            "t.yaml:6: listeners[0].tls.key is required",
                            "t.yaml:6: listeners[0].tls.min_version must be 1.2 or 1.3, got '1.1'",
                            "t.yaml:7: duplicate listener name 'web'",
                            "t.yaml:8: listener 'other' uses 127.0.0.1:1 like listener 'web'",
                            "t.yaml:9: listeners[3].name is required",
                            "t.yaml:10: listeners[4] must be a map, got '42'"));
}

TEST(ConfigTest, AtLeastOneListenerIsRequired) {
    EXPECT_THAT(errors_of(""), ElementsAre("t.yaml:1: at least one listener is required"));
    EXPECT_THAT(errors_of("\nlogging: {}\nlisteners: []\n"),
                ElementsAre("t.yaml:2: at least one listener is required"));
}

TEST(ConfigTest, UnknownKeysAreErrorsAtTheirLine) {
    EXPECT_THAT(
        errors_of(R"(
listeners:
  - name: web
    colour: blue
limits:
  max_frames: 1
extra: 1
cluster:
  redis: { urls: "" }
)"),
        ElementsAre("t.yaml:3: unknown key 'colour' in listeners[0]",
                    "t.yaml:5: unknown key 'max_frames' in limits", "t.yaml:6: unknown key 'extra'",
                    "t.yaml:8: unknown key 'urls' in cluster.redis"));
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
logging:
  level: info
  level: debug
)"),
                ElementsAre("t.yaml:4: duplicate key 'logging.level'"));
}

TEST(ConfigTest, SeveralErrorsAreReportedAtOnceInFileOrder) {
    ConfigResult r = load(R"(
listeners:
  - name: web
    port: -1
auth:
  anonymous: perhaps
limits:
  max_headers: 0
  bogus: 1
logging: { level: loud }
)");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors,
                ElementsAre("t.yaml:3: listeners[0].port must be an integer from 0 to 65535, "
                            "got '-1'",
                            "t.yaml:5: auth.anonymous must be true or false, got 'perhaps'",
                            "t.yaml:7: limits.max_headers must be a positive integer, got '0'",
                            "t.yaml:8: unknown key 'bogus' in limits",
                            "t.yaml:9: logging.level must be debug, info, warn or error, "
                            "got 'loud'"));
}

TEST(ConfigTest, YamlSyntaxErrorsHaveALine) {
    EXPECT_THAT(errors_of("listeners:\n  - { name: web\nlogging: {}\n"),
                ElementsAre("t.yaml:3: end of map flow not found"));
}

TEST(ConfigTest, OnlyOneYamlDocumentIsAllowed) {
    EXPECT_THAT(errors_of("listeners: [ { name: web } ]\n---\nlogging: {}\n"),
                ElementsAre("t.yaml:3: only one YAML document is allowed"));
}

TEST(ConfigTest, AWrongTypeIsReportedOnce) {
    EXPECT_THAT(errors_of("listeners: [ { name: [web] } ]\n"),
                ElementsAre("t.yaml:1: listeners[0].name must be a string, got a list"));
    EXPECT_THAT(errors_of("listeners: [ { name: web, port: } ]\n"),
                ElementsAre("t.yaml:1: listeners[0].port must be an integer, got an empty value"));
}

TEST(ConfigTest, RedissIsRefusedWithTheReason) {
    std::vector<std::string> errors = errors_of(R"(
listeners: [ { name: web } ]
cluster:
  redis: { url: "rediss://redis.example:6380" }
)");
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_TRUE(
        errors[0].starts_with("t.yaml:3: cluster.redis.url: rediss:// (TLS) is not "
                              "supported"))
        << errors[0];
    EXPECT_NE(errors[0].find("Debian's hiredis 0.14 has no TLS"), std::string::npos);
}

TEST(ConfigTest, RelayPingTimeoutMustCoverTwoIntervals) {
    // Reported at the timeout's line when it is written, else at the interval's.
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
cluster:
  redis:
    ping_interval_ms: 1000
    ping_timeout_ms: 1999
)"),
                ElementsAre("t.yaml:5: cluster.redis.ping_timeout_ms (1999) must be at least "
                            "twice cluster.redis.ping_interval_ms (1000)"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
cluster:
  redis:
    ping_interval_ms: 2000
)"),
                ElementsAre("t.yaml:4: cluster.redis.ping_timeout_ms (3000) must be at least "
                            "twice cluster.redis.ping_interval_ms (2000)"));
    EXPECT_NE(load_good("listeners: [ { name: web } ]\n"
                        "cluster: { redis: { ping_interval_ms: 1000, ping_timeout_ms: 2000 } }\n"),
              nullptr);
}

TEST(ConfigTest, JwtRules) {
    EXPECT_THAT(
        errors_of(R"(
listeners: [ { name: web } ]
auth:
  jwt:
    - { name: a, algorithms: [none, RS256], keys: { jwks_file: /j.json } }
    - { name: b, algorithms: [HS999], keys: { jwks_file: /j.json } }
    - { name: c, algorithms: [], keys: { jwks_file: /j.json } }
    - { name: d, keys: { jwks_file: /j.json } }
    - { name: e, algorithms: [RS256] }
    - { name: f, algorithms: [RS256], keys: { jwks_file: /j, jwks_url: "https://x" } }
    - { name: g, algorithms: [RS256], keys: {} }
    - { name: h, algorithms: [RS256], keys: { jwks_url: "ftp://x" } }
    - { name: i, algorithms: [RS256], keys: { secret: "0123456789abcdef0123456789abcdef" } }
    - { name: j, algorithms: [HS256], keys: { public_key_file: /k.pem } }
    - { name: a, algorithms: [RS256], keys: { jwks_file: /j.json }, on_expiry: never }
    - { algorithms: [HS256], keys: { secret: "" } }
)"),
        ElementsAre(
            "t.yaml:4: auth.jwt[0].algorithms: 'none' is never allowed (unsigned tokens would be "
            "accepted)",
            "t.yaml:5: auth.jwt[1].algorithms entry must be HS256, HS384, HS512, RS256, RS384, "
            "RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA, got 'HS999'",
            "t.yaml:6: auth.jwt[2].algorithms must not be empty",
            "t.yaml:7: auth.jwt[3].algorithms is required",
            "t.yaml:8: auth.jwt[4].keys is required",
            "t.yaml:9: auth.jwt[5].keys needs exactly one of secret, secret_env, secret_file, "
            "public_key_file, jwks_file, jwks_url",
            "t.yaml:10: auth.jwt[6].keys needs exactly one of secret, secret_env, secret_file, "
            "public_key_file, jwks_file, jwks_url",
            "t.yaml:11: auth.jwt[7].keys.jwks_url must start with https:// or http://",
            "t.yaml:12: auth.jwt[8].keys.secret: a secret only works with HS256, HS384 or HS512, "
            "not RS256",
            "t.yaml:13: auth.jwt[9].keys.public_key_file: HS256 needs a secret, not a public key",
            "t.yaml:14: auth.jwt[10].on_expiry must be disconnect or ignore, got 'never'",
            "t.yaml:14: duplicate jwt issuer name 'a'", "t.yaml:15: auth.jwt[11].name is required",
            "t.yaml:15: auth.jwt[11].keys.secret must not be empty"));
}

TEST(ConfigTest, JwtPrincipalPrefix) {
    const ConfigPtr good = testing::load_good(R"(
listeners: [ { name: web } ]
auth:
  jwt:
    - { name: users, algorithms: [RS256], keys: { jwks_file: /j.json }, principal_prefix: "user:" }
    - { name: members, algorithms: [RS256], keys: { jwks_file: /j.json } }
)");
    ASSERT_NE(good, nullptr);
    EXPECT_EQ(good->auth.jwt[0].principal_prefix, "user:");
    EXPECT_EQ(good->auth.jwt[1].principal_prefix, "");
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
auth:
  jwt:
    - { name: a, algorithms: [RS256], keys: { jwks_file: /j.json }, principal_prefix: "m.x" }
    - { name: b, algorithms: [RS256], keys: { jwks_file: /j.json }, principal_prefix: "a\tb" }
    - { name: c, algorithms: [RS256], keys: { jwks_file: /j.json }, principal_prefix: [x] }
)"),
                ElementsAre("t.yaml:4: auth.jwt[0].principal_prefix 'm.x' must not hold '/', "
                            "'.', '*' or '#': a principal holding one never matches a "
                            "{principal} ACL rule (e.g. \"member:\" is fine)",
                            "t.yaml:5: auth.jwt[1].principal_prefix must not hold control "
                            "characters",
                            "t.yaml:6: auth.jwt[2].principal_prefix must be a string, got a "
                            "list"));
}

TEST(ConfigTest, PlainPasscodeIsAWarning) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth:
  users:
    - { login: dev, passcode: secret }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    ASSERT_NE(r.config, nullptr);
    EXPECT_EQ(r.config->auth.users[0].passcode, "secret");
    EXPECT_THAT(r.warnings,
                ElementsAre("t.yaml:4: user 'dev' has a plain passcode (development only)"));
}

TEST(ConfigTest, UserRules) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
auth:
  users:
    - { login: a, passcode_hash: "pbkdf2-sha256$1$c2FsdA==$aGFzaA==" }
    - { login: a, passcode_hash: "pbkdf2-sha256$1$c2FsdA==$aGFzaA==", passcode: x }
    - { login: bearer, passcode: x }
)"),
                ElementsAre("t.yaml:5: user 'a' has both passcode_hash and passcode; use one",
                            "t.yaml:5: duplicate user login 'a'",
                            "t.yaml:6: login 'bearer' is reserved: it marks a JWT sent as the "
                            "passcode"));
}

TEST(ConfigTest, AnonymousOnANonLoopbackListenerIsAWarning) {
    ConfigResult r = load(R"(
auth: { anonymous: true }
listeners:
  - { name: lo4, host: 127.0.0.5 }
  - { name: lo6, host: "::1" }
  - { name: name, host: localhost }
  - { name: public, host: 0.0.0.0 }
  - { name: closed, host: 0.0.0.0, anonymous: false }
  - name: opened
    host: 10.1.2.3
    anonymous: true
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, ElementsAre("t.yaml:6: listener 'public' allows anonymous clients on "
                                        "non-loopback host 0.0.0.0",
                                        "t.yaml:10: listener 'opened' allows anonymous clients on "
                                        "non-loopback host 10.1.2.3"));
}

TEST(ConfigTest, ShortHmacSecretIsAWarning) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
auth:
  jwt: [ { name: j, algorithms: [HS256], keys: { secret: short } } ]
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, ElementsAre("t.yaml:3: auth.jwt[0].keys.secret is shorter than 32 "
                                        "bytes (weak for HS256)"));
}

TEST(ConfigTest, HeartbeatServerMsIsTheOldNameOfServerMinMs) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
heartbeat:
  server_ms: 2500
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, ElementsAre("t.yaml:3: heartbeat.server_ms is now "
                                        "heartbeat.server_min_ms (the same value)"));
    ASSERT_NE(r.config, nullptr);
    EXPECT_EQ(r.config->heartbeat.server_min_ms, 2500U);
}

TEST(ConfigTest, ShippedConfigLoadsWithoutErrors) {
    ConfigResult r = load_config(std::string(STAMPEDE_SOURCE_DIR) + "/etc/stampede.yaml");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, IsEmpty());
    ASSERT_NE(r.config, nullptr);
    EXPECT_TRUE(r.config->auth.anonymous);
    ASSERT_EQ(r.config->listeners.size(), 2U);
    EXPECT_EQ(r.config->listeners[0].name, "web");
    EXPECT_EQ(r.config->listeners[0].port, 15674);
    EXPECT_EQ(r.config->listeners[1].name, "backend");
    EXPECT_EQ(r.config->listeners[1].protocol, ListenerProtocol::Tcp);
    EXPECT_EQ(r.config->listeners[1].port, 61613);
    EXPECT_EQ(r.config->storage.backend, "memory");
}

TEST(ConfigTest, MissingConfigFileIsAnError) {
    ConfigResult r = load_config("/nonexistent/stampede.yaml");
    EXPECT_EQ(r.config, nullptr);
    EXPECT_THAT(r.errors, ElementsAre("/nonexistent/stampede.yaml:1: cannot read the config "
                                      "file: No such file or directory"));
}

}  // namespace
}  // namespace stampede::config
