// destinations.rooms[].presence: true or a map, its defaults, notice templates checked for
// unknown placeholders at their line; presence on a cluster accepted with its node_ttl_s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::load;

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PresenceConfigTest, TrueAndAMapAndTheDefaults) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/a.*"
      presence: true
    - pattern: "/topic/chat/room/{id}"
      presence:
        notices: false
        node_ttl_s: 30
        info_claim: name
        ephemeral_per_s: 5
        notice_body:
          enter: '{"type":"ENTER","roomId":"{id}","sender":{user},"userCount":{count},"room":"{room}"}'
          leave: '{"type":"LEAVE","sender":{user}}'
    - pattern: "/topic/c.*"
      presence: { enabled: false }
    - pattern: "/topic/d.*"
)");
    ASSERT_THAT(r.errors, IsEmpty());
    const auto& rooms = r.config->destinations.rooms;
    ASSERT_EQ(rooms.size(), 4U);
    const PresenceConfig defaults;
    EXPECT_TRUE(rooms[0].presence.enabled);
    EXPECT_TRUE(rooms[0].presence.notices);
    EXPECT_EQ(rooms[0].presence.node_ttl_s, 15U);
    EXPECT_EQ(rooms[0].presence.ephemeral_per_s, 10U);
    EXPECT_EQ(rooms[0].presence.info_claim, "");
    EXPECT_EQ(rooms[0].presence.enter_body, "");
    const PresenceConfig& p = rooms[1].presence;
    EXPECT_TRUE(p.enabled);  // a map is on unless it says enabled: false
    EXPECT_FALSE(p.notices);
    EXPECT_EQ(p.node_ttl_s, 30U);
    EXPECT_EQ(p.info_claim, "name");
    EXPECT_EQ(p.ephemeral_per_s, 5U);
    EXPECT_EQ(p.leave_body, R"({"type":"LEAVE","sender":{user}})");
    EXPECT_FALSE(rooms[2].presence.enabled);
    EXPECT_EQ(rooms[3].presence, defaults);
}

TEST(PresenceConfigTest, UnknownPlaceholdersAndKeysAreErrorsAtTheirLine) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/room.*"
      presence:
        notice_body:
          enter: '{"sender":{user},"room":"{id}"}'
          leave: '{"n":{count},"x":"{usr}"}'
          other: x
    - pattern: "/topic/chat/{id}"
      presence: { notice_body: { enter: '{"id":"{id}","who":{user}}' }, colour: red }
    - pattern: "/topic/x"
      presence: maybe
)");
    EXPECT_THAT(
        r.errors,
        ElementsAre("t.yaml:7: destinations.rooms[0].presence.notice_body.enter: unknown "
                    "placeholder {id} (known: user, count, room)",
                    "t.yaml:8: destinations.rooms[0].presence.notice_body.leave: unknown "
                    "placeholder {usr} (known: user, count, room)",
                    "t.yaml:9: unknown key 'other' in destinations.rooms[0].presence.notice_body",
                    "t.yaml:11: unknown key 'colour' in destinations.rooms[1].presence",
                    "t.yaml:13: destinations.rooms[2].presence must be true or false, got "
                    "'maybe'"));
}

TEST(PresenceConfigTest, AcceptedOnACluster) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
destinations:
  rooms:
    - pattern: "/topic/chat.*"
      presence: { enabled: true, node_ttl_s: 5 }
)");
    EXPECT_THAT(r.errors, ElementsAre());
    ASSERT_TRUE(r.config);
    EXPECT_EQ(r.config->destinations.rooms[0].presence.node_ttl_s, 5u);
}

}  // namespace
}  // namespace stampede::config
