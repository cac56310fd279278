// destinations.queues[]: per queue pattern policies, their defaults (max_messages from
// limits.max_queue_messages), and each bad value at its file:line.
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

TEST(QueuesConfigTest, NoEntriesByDefault) {
    ConfigResult r = load("listeners: [ { name: web } ]\n");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_THAT(r.config->destinations.queues, IsEmpty());
}

TEST(QueuesConfigTest, EveryKeyIsReadAndAbsentKeysTakeTheDefaults) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
limits: { max_queue_messages: 42 }
destinations:
  queues:
    - pattern: "/queue/orders.#"
      max_messages: 10
      max_bytes: 1000
      overflow: drop_oldest
      max_redeliveries: 0
      dead_letter: "/queue/dead"
      ttl_ms: 60000
      durable: false
    - { pattern: "/queue/*", dead_letter: "" }
)");
    ASSERT_THAT(r.errors, IsEmpty());
    const auto& q = r.config->destinations.queues;
    ASSERT_EQ(q.size(), 2u);
    EXPECT_EQ(q[0].pattern, "/queue/orders.#");
    EXPECT_EQ(q[0].max_messages, 10u);
    EXPECT_EQ(q[0].max_bytes, 1000u);
    EXPECT_EQ(q[0].overflow, QueueOverflow::DropOldest);
    EXPECT_EQ(q[0].max_redeliveries, 0u);
    EXPECT_EQ(q[0].dead_letter, "/queue/dead");
    EXPECT_EQ(q[0].ttl_ms, 60000u);
    EXPECT_FALSE(q[0].durable);
    EXPECT_EQ(q[1].max_messages, 42u);  // limits.max_queue_messages
    EXPECT_EQ(q[1].max_bytes, 0u);
    EXPECT_EQ(q[1].overflow, QueueOverflow::Reject);
    EXPECT_EQ(q[1].max_redeliveries, 5u);
    EXPECT_EQ(q[1].dead_letter, "");
    EXPECT_EQ(q[1].ttl_ms, 0u);
}

TEST(QueuesConfigTest, DefaultDeadLetterIsTheQueueDotDlq) {
    ConfigResult r = load(R"(
listeners: [ { name: web } ]
destinations: { queue_prefixes: [/queue/, /jobs/], queues: [ { pattern: "/jobs/#" } ] }
)");
    ASSERT_THAT(r.errors, IsEmpty());
    EXPECT_EQ(r.config->destinations.queues[0].dead_letter, "{queue}.dlq");
    EXPECT_EQ(r.config->destinations.queues[0].max_messages, 100000u);
}

TEST(QueuesConfigTest, DurableIsRefusedAtItsLine) {
    EXPECT_THAT(load(R"(
listeners: [ { name: web } ]
destinations:
  queues:
    - pattern: "/queue/#"
      durable: true
)")
                    .errors,
                ElementsAre("t.yaml:5: destinations.queues[0].durable is not supported yet "
                            "(planned: issue 12)"));
}

TEST(QueuesConfigTest, UserQueuePatternsReadSlashesAsSegments) {
    ConfigResult ok = load(R"(
listeners: [ { name: web } ]
destinations:
  queues:
    - { pattern: "/user/*/queue/inbox.#", max_messages: 5 }
    - { pattern: "/user/#" }
)");
    ASSERT_THAT(ok.errors, IsEmpty());
    EXPECT_EQ(ok.config->destinations.queues[0].pattern, "/user/*/queue/inbox.#");
    ConfigResult bad = load(R"(
listeners: [ { name: web } ]
destinations:
  queues:
    - { pattern: "/user/" }
    - { pattern: "/user/a//queue/x" }
)");
    EXPECT_THAT(bad.errors,
                ElementsAre("t.yaml:4: destinations.queues[0].pattern '/user/' has an empty "
                            "name segment",
                            "t.yaml:5: destinations.queues[1].pattern '/user/a//queue/x' has an "
                            "empty name segment"));
}

TEST(QueuesConfigTest, BadValuesAreReportedAtTheirLine) {
    EXPECT_THAT(
        load(R"(
listeners: [ { name: web } ]
destinations:
  queues:
    - max_messages: 1
    - pattern: "/topic/x"
    - pattern: "/queue/"
    - pattern: "/queue/a..b"
    - pattern: "/queue/#"
      max_messages: 0
      overflow: drop_newest
      max_redeliveries: 1000001
      dead_letter: "/topic/dead"
      ttl_ms: -1
      colour: red
    - { pattern: "/queue/#", dead_letter: "/queue/dead.*" }
    - { pattern: "/queue/#", dead_letter: "{queue}.{x}" }
)")
            .errors,
        ElementsAre(
            "t.yaml:4: destinations.queues[0].pattern is required",
            "t.yaml:5: destinations.queues[1].pattern '/topic/x' must start with a queue prefix "
            "(/queue/) or /user/",
            "t.yaml:6: destinations.queues[2].pattern '/queue/' has an empty name segment",
            "t.yaml:7: destinations.queues[3].pattern '/queue/a..b' has an empty name segment",
            "t.yaml:9: destinations.queues[4].max_messages must be a positive integer, got '0'",
            "t.yaml:10: destinations.queues[4].overflow must be reject or drop_oldest, got "
            "'drop_newest'",
            "t.yaml:11: destinations.queues[4].max_redeliveries must be an integer from 0 to "
            "1000000, got '1000001'",
            "t.yaml:12: destinations.queues[4].dead_letter '/topic/dead' must name a queue: a "
            "queue prefix and a name without wildcards, or contain {queue}, or be \"\"",
            "t.yaml:13: destinations.queues[4].ttl_ms must be a non-negative integer, got '-1'",
            "t.yaml:14: unknown key 'colour' in destinations.queues[4]",
            "t.yaml:15: destinations.queues[5].dead_letter '/queue/dead.*' must name a queue: a "
            "queue prefix and a name without wildcards, or contain {queue}, or be \"\"",
            "t.yaml:16: destinations.queues[6].dead_letter '{queue}.{x}' must name a queue: a "
            "queue prefix and a name without wildcards, or contain {queue}, or be \"\""));
}

}  // namespace
}  // namespace stampede::config
