// offline_hook: its defaults, the webhook's URL and secret checked at their line, a negative
// or huge debounce refused, and what is not built yet refused with the reason: the Redis
// stream, and the webhook with a cluster or the file backend.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using testing::load;
using testing::load_good;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kRooms = R"(
listeners: [ { name: web } ]
destinations: { rooms: [ { pattern: "/topic/room.*", presence: true } ] }
)";

TEST(OfflineHookConfigTest, DefaultsAndAGoodWebhook) {
    const ConfigPtr none = load_good("listeners: [ { name: web } ]\n");
    ASSERT_NE(none, nullptr);
    EXPECT_FALSE(none->offline_hook.webhook());
    EXPECT_FALSE(none->offline_hook.redis_stream);
    EXPECT_EQ(none->offline_hook.debounce_ms, 5000U);
    const ConfigPtr c = load_good(std::string(kRooms) + R"(
offline_hook:
  redis_stream: false
  webhook_url: "https://push.example.com:8443/hooks/stampede?x=1"
  webhook_secret: "s3cret"
  debounce_ms: 0
)");
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(c->offline_hook.webhook());
    EXPECT_EQ(c->offline_hook.webhook_url, "https://push.example.com:8443/hooks/stampede?x=1");
    EXPECT_EQ(c->offline_hook.webhook_secret, "s3cret");
    EXPECT_EQ(c->offline_hook.debounce_ms, 0U);
}

TEST(OfflineHookConfigTest, BadValuesAtTheirLine) {
    EXPECT_THAT(errors_of(std::string(kRooms) + R"(
offline_hook:
  webhook_url: "ftp://push.example.com/x"
  webhook_secret: s
  debounce_ms: -1
)"),
                ElementsAre("t.yaml:5: offline_hook.webhook_url 'ftp://push.example.com/x' must "
                            "start with http:// or https://",
                            "t.yaml:7: offline_hook.debounce_ms must be an integer from 0 to "
                            "86400000, got '-1'"));
    EXPECT_THAT(errors_of(std::string(kRooms) + R"(
offline_hook: { webhook_url: "http://:80/x", webhook_secret: s }
)"),
                ElementsAre("t.yaml:4: offline_hook.webhook_url 'http://:80/x' has no host"));
    EXPECT_THAT(errors_of(std::string(kRooms) + R"(
offline_hook: { webhook_url: "http://h:99999/x", webhook_secret: s }
)"),
                ElementsAre("t.yaml:4: offline_hook.webhook_url 'http://h:99999/x' has a bad "
                            "port '99999'"));
    EXPECT_THAT(errors_of(std::string(kRooms) + R"(
offline_hook:
  webhook_url: "http://127.0.0.1:9/hook"
)"),
                ElementsAre("t.yaml:5: offline_hook.webhook_secret is required with "
                            "offline_hook.webhook_url: the receiver checks X-Stampede-Signature "
                            "with it"));
    EXPECT_THAT(errors_of(std::string(kRooms) + "offline_hook: { debounce_ms: 86400001 }\n"),
                ElementsAre("t.yaml:3: offline_hook.debounce_ms must be an integer from 0 to "
                            "86400000, got '86400001'"));
    EXPECT_THAT(errors_of(std::string(kRooms) + "offline_hook: { webhook: x }\n"),
                ElementsAre("t.yaml:3: unknown key 'webhook' in offline_hook"));
}

TEST(OfflineHookConfigTest, WhatIsNotBuiltIsRefused) {
    EXPECT_THAT(errors_of(std::string(kRooms) + "offline_hook: { redis_stream: true }\n"),
                ElementsAre("t.yaml:3: offline_hook.redis_stream is not supported yet (planned: "
                            "XADD to <cluster.redis.channel_prefix>:notify, once room memberships "
                            "are kept in Redis)"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations: { rooms: [ { pattern: "/topic/room.*" } ] }
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
offline_hook: { webhook_url: "http://127.0.0.1:9/hook", webhook_secret: s }
)"),
                ElementsAre("t.yaml:4: offline_hook.webhook_url with a cluster (cluster.redis.url) "
                            "is not supported yet: each node knows only its own sessions and "
                            "members, so it would report members who are online elsewhere"));
    EXPECT_THAT(errors_of(std::string(kRooms) + R"(
storage: { backend: file, path: /tmp/x }
offline_hook: { webhook_url: "http://127.0.0.1:9/hook", webhook_secret: s }
)"),
                ElementsAre("t.yaml:5: offline_hook.webhook_url with storage.backend 'file' is "
                            "not supported yet: room memberships are kept with the memory backend "
                            "only"));
}

TEST(OfflineHookConfigTest, AWebhookWithoutRoomsIsAWarning) {
    const ConfigResult r = load(R"(
listeners: [ { name: web } ]
offline_hook: { webhook_url: "http://127.0.0.1:9/hook", webhook_secret: s }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, ElementsAre("t.yaml:2: offline_hook.webhook_url is set but there are "
                                        "no destinations.rooms: nothing will be reported"));
}

}  // namespace
}  // namespace stampede::config
