// cluster.redis.laravel: the prefix and channel map are read; bad channels, destinations and
// placeholders are errors at their line; the map needs a cluster.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using testing::load_good;

TEST(LaravelConfigTest, ReadsThePrefixAndTheChannels) {
    const auto c = load_good(R"(
listeners: [{ name: web, protocol: ws, host: 127.0.0.1, port: 0 }]
cluster:
  redis:
    url: redis://127.0.0.1:6379
    laravel:
      prefix: laravel_database_
      channels: { "private-chat.{id}": "/topic/chat.{id}", "news": /topic/news }
)");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->redis.laravel.prefix, "laravel_database_");
    ASSERT_EQ(c->redis.laravel.channels.size(), 2u);
    EXPECT_EQ(c->redis.laravel.channels[0].channel, "private-chat.{id}");
    EXPECT_EQ(c->redis.laravel.channels[0].destination, "/topic/chat.{id}");
    EXPECT_EQ(c->redis.laravel.channels[1].destination, "/topic/news");
}

TEST(LaravelConfigTest, BadEntriesAreErrorsAtTheirLine) {
    const auto errors = errors_of(R"(
listeners: [{ name: web, protocol: ws, host: 127.0.0.1, port: 0 }]
cluster:
  redis:
    url: redis://127.0.0.1:6379
    laravel:
      channels:
        "chat.*": /topic/x
        "chat.{id}": topic/chat
        "room.{id}": /topic/room.{name}
        "ok": [1]
      colour: blue
)");
    ASSERT_EQ(errors.size(), 5u) << ::testing::PrintToString(errors);
    EXPECT_NE(errors[0].find("t.yaml:7"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find("literal text"), std::string::npos);
    EXPECT_NE(errors[1].find("t.yaml:8"), std::string::npos) << errors[1];
    EXPECT_NE(errors[1].find("starting with '/'"), std::string::npos);
    EXPECT_NE(errors[2].find("{name} is not a capture"), std::string::npos) << errors[2];
    EXPECT_NE(errors[3].find("t.yaml:10"), std::string::npos) << errors[3];
    EXPECT_NE(errors[4].find("unknown key 'colour'"), std::string::npos) << errors[4];
}

TEST(LaravelConfigTest, ChannelsNeedACluster) {
    const auto errors = errors_of(R"(
listeners: [{ name: web, protocol: ws, host: 127.0.0.1, port: 0 }]
cluster:
  redis:
    laravel: { channels: { news: /topic/news } }
)");
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_NE(errors[0].find("needs cluster.redis.url"), std::string::npos);
}

}  // namespace
}  // namespace stampede::config
