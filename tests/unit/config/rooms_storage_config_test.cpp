// destinations.rooms[] and storage: every key read, the defaults, and each rule's error (or
// warning) at its file:line: patterns checked with protocol::RoomPattern, the file backend's
// path, redis refused (issue 12), and rooms on a cluster refused with the memory or file
// backend. Presence has its own file (presence_config_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"
#include "config_test_support.hpp"

namespace stampede::config {
namespace {

using testing::errors_of;
using testing::load;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// --- rooms ---

TEST(RoomsConfigTest, NoRoomsByDefault) {
    ConfigResult r = load("listeners: [ { name: web } ]\n");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.config->destinations.rooms, IsEmpty());
}

TEST(RoomsConfigTest, EveryKeyIsReadAndAbsentKeysTakeTheDefaults) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  topic_prefixes: [/topic/, /sub/]
  rooms:
    - pattern: "/topic/room.*"
      history: { max_messages: 1000000, max_age_s: 1 }
      presence: false
    - pattern: "/sub/chat/room/{id}"
      history: { max_messages: 1 }
      presence: { enabled: false }
    - { pattern: "/topic/#" }
)");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, IsEmpty());
    const auto& rooms = r.config->destinations.rooms;
    ASSERT_EQ(rooms.size(), 3U);
    EXPECT_EQ(rooms[0].pattern, "/topic/room.*");
    EXPECT_EQ(rooms[0].history.max_messages, 1000000U);
    EXPECT_EQ(rooms[0].history.max_age_s, 1U);
    EXPECT_FALSE(rooms[0].presence.enabled);
    EXPECT_EQ(rooms[1].pattern, "/sub/chat/room/{id}");
    EXPECT_EQ(rooms[1].history.max_messages, 1U);
    EXPECT_EQ(rooms[1].history.max_age_s, 86400U);
    EXPECT_FALSE(rooms[1].presence.enabled);
    EXPECT_EQ(rooms[2].history.max_messages, 100U);
    EXPECT_EQ(rooms[2].history.max_age_s, 86400U);
}

TEST(RoomsConfigTest, PatternIsRequired) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - history: { max_messages: 5 }
    - pattern: ""
)"),
                ElementsAre("t.yaml:4: destinations.rooms[0].pattern is required",
                            "t.yaml:5: destinations.rooms[1].pattern must not be empty"));
}

TEST(RoomsConfigTest, PatternMustStartWithATopicPrefix) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations:
  topic_prefixes: [/topic/, /sub/]
  rooms:
    - pattern: "/queue/room.*"
    - pattern: "room.*"
    - pattern: "/topics/room.*"
)"),
                ElementsAre("t.yaml:5: destinations.rooms[0].pattern '/queue/room.*' must start "
                            "with a topic prefix (/topic/, /sub/)",
                            "t.yaml:6: destinations.rooms[1].pattern 'room.*' must start with a "
                            "topic prefix (/topic/, /sub/)",
                            "t.yaml:7: destinations.rooms[2].pattern '/topics/room.*' must start "
                            "with a topic prefix (/topic/, /sub/)"));
}

// A queue prefix longer than a topic prefix it starts with takes those destinations: they
// are queues, never rooms.
TEST(RoomsConfigTest, APatternUnderALongerQueuePrefixIsNotATopic) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations:
  topic_prefixes: [/app/]
  queue_prefixes: [/app/q/]
  rooms: [ { pattern: "/app/q/room.*" } ]
)"),
                ElementsAre("t.yaml:5: destinations.rooms[0].pattern '/app/q/room.*' must start "
                            "with a topic prefix (/app/)"));
}

TEST(RoomsConfigTest, PatternErrorsFromRoomPatternCarryTheLine) {
    EXPECT_THAT(
        errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/"
    - pattern: "/topic/room..x"
    - pattern: "/topic/room*"
    - pattern: "/topic/room.{id}.*"
    - pattern: "/topic/room/{id}/"
    - pattern: "/topic/room-{id}"
    - pattern: "/topic/{1d}"
    - pattern: "/topic/{id}/{id}"
)"),
        ElementsAre(
            "t.yaml:4: destinations.rooms[0].pattern '/topic/': a room pattern needs a name after "
            "its prefix",
            "t.yaml:5: destinations.rooms[1].pattern '/topic/room..x': a room pattern has an "
            "empty '.' segment",
            "t.yaml:6: destinations.rooms[2].pattern '/topic/room*': '*' and '#' must each be a "
            "whole '.' segment",
            "t.yaml:7: destinations.rooms[3].pattern '/topic/room.{id}.*': a room pattern mixes "
            "{captures} with '*' or '#'",
            "t.yaml:8: destinations.rooms[4].pattern '/topic/room/{id}/': a room pattern has an "
            "empty '/' segment",
            "t.yaml:9: destinations.rooms[5].pattern '/topic/room-{id}': a {capture} must be a "
            "whole '/' segment",
            "t.yaml:10: destinations.rooms[6].pattern '/topic/{1d}': a capture name must be "
            "[A-Za-z_][A-Za-z0-9_]*",
            "t.yaml:11: destinations.rooms[7].pattern '/topic/{id}/{id}': a capture name appears "
            "twice"));
}

// A pattern is compiled with the length of its own topic prefix, which matches literally:
// "/a.b/#" is the prefix "/a.b/" and the segment "#". (Compiled with no prefix it would be
// the segments "/a" and "b/#", and a '#' inside a segment is refused.)
TEST(RoomsConfigTest, TheMatchingTopicPrefixIsThePatternsPrefix) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  topic_prefixes: [/a.b/]
  queue_prefixes: [/q/]
  rooms: [ { pattern: "/a.b/#" } ]
)");
    EXPECT_THAT(r.errors, IsEmpty());
}

TEST(RoomsConfigTest, TwoEntriesWithTheSamePatternAreAnError) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/room.*"
    - pattern: "/topic/lobby"
    - pattern: "/topic/room.*"
      history: { max_messages: 5 }
)"),
                ElementsAre("t.yaml:6: destinations.rooms[2].pattern '/topic/room.*' repeats "
                            "destinations.rooms[0]: the first match wins, so this entry would "
                            "never apply"));
}

TEST(RoomsConfigTest, HistoryBounds) {
    EXPECT_THAT(
        errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/a"
      history: { max_messages: 0, max_age_s: 0 }
    - pattern: "/topic/b"
      history:
        max_messages: 1000001
        max_age_s: -1
        max_bytes: 5
    - { pattern: "/topic/c", history: 5 }
)"),
        ElementsAre(
            "t.yaml:5: destinations.rooms[0].history.max_messages must be an integer from 1 to "
            "1000000, got '0'",
            "t.yaml:5: destinations.rooms[0].history.max_age_s must be an integer from 1 to "
            "4294967295, got '0'",
            "t.yaml:8: destinations.rooms[1].history.max_messages must be an integer from 1 to "
            "1000000, got '1000001'",
            "t.yaml:9: destinations.rooms[1].history.max_age_s must be an integer from 1 to "
            "4294967295, got '-1'",
            "t.yaml:10: unknown key 'max_bytes' in destinations.rooms[1].history",
            "t.yaml:11: destinations.rooms[2].history must be a map, got '5'"));
}

TEST(RoomsConfigTest, UnknownRoomKeysAreErrors) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms:
    - pattern: "/topic/a"
      sequence: true
)"),
                ElementsAre("t.yaml:5: unknown key 'sequence' in destinations.rooms[0]"));
}

TEST(RoomsConfigTest, RoomsKeepTheFileOrder) {
    // First match wins, so the order of the file is the order of the list.
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  rooms: [ { pattern: "/topic/room.vip" }, { pattern: "/topic/room.*" } ]
)");
    ASSERT_THAT(r.errors, IsEmpty());
    ASSERT_EQ(r.config->destinations.rooms.size(), 2U);
    EXPECT_EQ(r.config->destinations.rooms[0].pattern, "/topic/room.vip");
    EXPECT_EQ(r.config->destinations.rooms[1].pattern, "/topic/room.*");
}

// --- storage ---

TEST(StorageConfigTest, Defaults) {
    ConfigResult r = load("listeners: [ { name: web } ]\n");
    ASSERT_THAT(r.errors, IsEmpty());
    const StorageConfig& st = r.config->storage;
    EXPECT_EQ(st.backend, "memory");
    EXPECT_EQ(st.path, "");
    EXPECT_EQ(st.fsync, StorageFsync::IntervalMs);
    EXPECT_EQ(st.fsync_interval_ms, 100U);
}

TEST(StorageConfigTest, FileBackendWithEveryKey) {
    for (const auto& [text, fsync] :
         {std::pair{"always", StorageFsync::Always}, std::pair{"never", StorageFsync::Never},
          std::pair{"interval_ms", StorageFsync::IntervalMs}}) {
        ConfigResult r = load(std::string(R"(
listeners: [ { name: web } ]
storage:
  backend: file
  path: /var/lib/stampede
  fsync: )") + text + "\n  fsync_interval_ms: " +
                              (fsync == StorageFsync::IntervalMs ? "60000" : "100") + "\n");
        ASSERT_THAT(r.errors, IsEmpty()) << text;
        EXPECT_THAT(r.warnings, IsEmpty()) << text;
        const StorageConfig& st = r.config->storage;
        EXPECT_EQ(st.backend, "file");
        EXPECT_EQ(st.path, "/var/lib/stampede");
        EXPECT_EQ(st.fsync, fsync);
        EXPECT_EQ(st.fsync_interval_ms, fsync == StorageFsync::IntervalMs ? 60000U : 100U);
    }
}

TEST(StorageConfigTest, FileBackendNeedsAPath) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage:
  backend: file
)"),
                ElementsAre("t.yaml:3: storage.backend 'file' needs storage.path: the folder of "
                            "its segments"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage:
  backend: file
  path: ""
)"),
                ElementsAre("t.yaml:4: storage.backend 'file' needs storage.path: the folder of "
                            "its segments"));
}

TEST(StorageConfigTest, APathWithAnotherBackendIsAnError) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage:
  path: /var/lib/stampede
)"),
                ElementsAre("t.yaml:3: storage.path is set but storage.backend is 'memory': only "
                            "the file backend uses it, so it would do nothing"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage:
  backend: redis
  path: /var/lib/stampede
)"),
                UnorderedElementsAre(
                    "t.yaml:3: storage.backend 'redis' needs cluster.redis.url: the history "
                    "lives in that Redis",
                    "t.yaml:4: storage.path is set but storage.backend is 'redis': only "
                    "the file backend uses it, so it would do nothing"));
}

TEST(StorageConfigTest, AnEmptyPathWithTheMemoryBackendIsFine) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
storage: { backend: memory, path: "", fsync: interval_ms, fsync_interval_ms: 100 }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, IsEmpty());  // fsync keys at their defaults: no warning
}

TEST(StorageConfigTest, AnUnknownBackendIsReportedAlone) {
    // No path rule is checked against a backend that does not exist.
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage: { backend: disk, path: /x }
)"),
                ElementsAre("t.yaml:2: storage.backend must be memory, file or redis, got 'disk'"));
}

TEST(StorageConfigTest, FsyncWithoutTheFileBackendIsAWarning) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
storage:
  backend: memory
  fsync: always
  fsync_interval_ms: 5
)");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings,
                ElementsAre("t.yaml:4: storage.fsync applies to the file backend only "
                            "(storage.backend is 'memory')",
                            "t.yaml:5: storage.fsync_interval_ms applies to the file backend only "
                            "(storage.backend is 'memory')"));
}

TEST(StorageConfigTest, AnIntervalWithoutFsyncIntervalMsIsAWarning) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
storage: { backend: file, path: /d, fsync: always, fsync_interval_ms: 10 }
)");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.warnings, ElementsAre("t.yaml:2: storage.fsync_interval_ms applies only with "
                                        "storage.fsync: interval_ms"));
}

TEST(StorageConfigTest, FsyncBounds) {
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage: { backend: file, path: /d, fsync_interval_ms: 0 }
)"),
                ElementsAre("t.yaml:2: storage.fsync_interval_ms must be an integer from 1 to "
                            "60000, got '0'"));
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage: { backend: file, path: /d, fsync: Always, colour: blue }
)"),
                ElementsAre("t.yaml:2: storage.fsync must be always, interval_ms or never, got "
                            "'Always'",
                            "t.yaml:2: unknown key 'colour' in storage"));
}

TEST(StorageConfigTest, RedisNeedsAClusterAndIsTheDefaultWithOne) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
storage: { backend: redis }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->storage.backend, "redis");
    r = load(R"(
listeners: [ { name: web } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->storage.backend, "redis");
    EXPECT_THAT(errors_of(R"(
listeners: [ { name: web } ]
storage: { backend: redis }
)"),
                ElementsAre("t.yaml:2: storage.backend 'redis' needs cluster.redis.url: the "
                            "history lives in that Redis"));
}

// --- rooms, storage and the cluster together ---

TEST(RoomStorageConfigTest, RoomsOnAClusterKeepTheirHistoryInRedisByDefault) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations:
  rooms: [ { pattern: "/topic/room.*" } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
)");
    EXPECT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->storage.backend, "redis");
}

TEST(RoomStorageConfigTest, RoomsOnAClusterWithTheFileBackendAreRefusedAtTheBackend) {
    EXPECT_THAT(
        errors_of(R"(
listeners: [ { name: web } ]
destinations:
  rooms: [ { pattern: "/topic/room.*" } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
storage:
  backend: file
  path: /var/lib/stampede
)"),
        ElementsAre("t.yaml:6: storage.backend 'file' with destinations.rooms and a cluster "
                    "(cluster.redis.url): every node would number room messages on its own; "
                    "rooms on a cluster need the redis backend (the default there)"));
}

TEST(RoomStorageConfigTest, ACombinationMissingOneOfThemIsFine) {
    // A cluster without rooms, and rooms (memory or file) without a cluster.
    EXPECT_THAT(load(R"(
listeners: [ { name: web } ]
cluster: { redis: { url: "redis://127.0.0.1:6379" } }
storage: { backend: file, path: /d }
)")
                    .errors,
                IsEmpty());
    EXPECT_THAT(load(R"(
listeners: [ { name: web } ]
destinations: { rooms: [ { pattern: "/topic/room.*" } ] }
storage: { backend: file, path: /d }
)")
                    .errors,
                IsEmpty());
    EXPECT_THAT(load(R"(
listeners: [ { name: web } ]
destinations: { rooms: [ { pattern: "/topic/room.*" } ] }
cluster: { redis: { url: "" } }
)")
                    .errors,
                IsEmpty());
}

}  // namespace
}  // namespace stampede::config
