// QueueManager: round robin, holding while nobody consumes, the bound, requeue at the head.
#include "queues/queue_manager.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace stampede::broker {
namespace {

protocol::MessagePtr message(const std::string& body) {
    return protocol::Message::make("/queue/work", body, "node", "", std::vector<protocol::Header>{},
                                   body);
}

protocol::MessagePtr message_with(const std::string& destination, const std::string& body,
                                  std::vector<protocol::Header> headers) {
    return protocol::Message::make(destination, body, "node", "", headers, body);
}

std::string header_of(const protocol::MessagePtr& m, const std::string& name) {
    for (const auto& [n, v] : m->headers) {
        if (n == name) {
            return v;
        }
    }
    return "<absent>";
}

struct Recorder {
    std::vector<std::pair<std::string, std::string>> deliveries;  // subscription id, body
    std::vector<protocol::MessagePtr> messages;                   // what was delivered
    QueueManager queues{[this](const QueueConsumer& consumer, const protocol::MessagePtr& m) {
        deliveries.emplace_back(consumer.subscription_id, m->body);
        messages.push_back(m);
    }};
};

TEST(QueueManagerTest, HoldsWhileNobodyConsumesThenDeliversInOrder) {
    Recorder r;
    ASSERT_TRUE(r.queues.enqueue(message("1")));
    ASSERT_TRUE(r.queues.enqueue(message("2")));
    EXPECT_EQ(r.queues.depth("/queue/work"), 2u);
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    ASSERT_EQ(r.deliveries.size(), 2u);
    EXPECT_EQ(r.deliveries[0].second, "1");
    EXPECT_EQ(r.deliveries[1].second, "2");
    EXPECT_EQ(r.queues.depth("/queue/work"), 0u);
}

TEST(QueueManagerTest, PrefetchCapsUnsettledDeliveriesPerConsumer) {
    Recorder r;
    r.queues.add_consumer("/queue/work", {0, 1, "capped"}, 2);
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(r.queues.enqueue(message(std::to_string(i))));
    }
    ASSERT_EQ(r.deliveries.size(), 2u);  // the cap: the rest wait
    EXPECT_EQ(r.queues.depth("/queue/work"), 3u);
    r.queues.add_consumer("/queue/work", {1, 2, "free"});  // no cap: takes what waits
    ASSERT_EQ(r.deliveries.size(), 5u);
    EXPECT_EQ(r.deliveries[2].first, "free");
    ASSERT_TRUE(r.queues.enqueue(message("5")));  // round robin skips the full consumer
    EXPECT_EQ(r.deliveries.back().first, "free");
    r.queues.remove_consumer("/queue/work", {1, 2, "free"});
    ASSERT_TRUE(r.queues.enqueue(message("6")));
    EXPECT_EQ(r.deliveries.size(), 6u);  // capped consumer still full: 6 waits
    r.queues.settle("/queue/work", {0, 1, "capped"}, 1);
    ASSERT_EQ(r.deliveries.size(), 7u);
    EXPECT_EQ(r.deliveries.back(), std::make_pair(std::string("capped"), std::string("6")));
}

TEST(QueueManagerTest, RoundRobinAcrossConsumers) {
    Recorder r;
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    r.queues.add_consumer("/queue/work", {1, 2, "b"});
    for (int i = 0; i < 4; ++i) {
        ASSERT_TRUE(r.queues.enqueue(message(std::to_string(i))));
    }
    ASSERT_EQ(r.deliveries.size(), 4u);
    EXPECT_EQ(r.deliveries[0].first, "a");
    EXPECT_EQ(r.deliveries[1].first, "b");
    EXPECT_EQ(r.deliveries[2].first, "a");
    EXPECT_EQ(r.deliveries[3].first, "b");
}

TEST(QueueManagerTest, RefusesPastMaxMessagesWithoutConsumers) {
    Recorder r;
    r.queues.set_max_messages(2);
    EXPECT_TRUE(r.queues.enqueue(message("1")));
    EXPECT_TRUE(r.queues.enqueue(message("2")));
    EXPECT_FALSE(r.queues.enqueue(message("3")));
    EXPECT_EQ(r.queues.depth("/queue/work"), 2u);
}

TEST(QueueManagerTest, RequeueGoesToTheHeadAndRemovedConsumersGetNothing) {
    Recorder r;
    r.queues.enqueue(message("1"));
    r.queues.requeue(message("0"));
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    ASSERT_EQ(r.deliveries.size(), 2u);
    EXPECT_EQ(r.deliveries[0].second, "0");
    r.queues.remove_consumer("/queue/work", {0, 1, "a"});
    r.queues.enqueue(message("2"));
    EXPECT_EQ(r.deliveries.size(), 2u);
    EXPECT_EQ(r.queues.depth("/queue/work"), 1u);
}

TEST(QueueManagerTest, RedeliveriesAreCountedThenTheMessageIsDeadLettered) {
    Recorder r;
    QueuePolicy policy;
    policy.max_redeliveries = 2;
    r.queues.set_policies({}, policy);
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    r.queues.add_consumer("/queue/work.dlq", {0, 1, "dlq"});
    ASSERT_TRUE(r.queues.enqueue(message("m")));
    for (int i = 0; i < 3; ++i) {
        r.queues.redeliver(r.messages.back());
    }
    ASSERT_EQ(r.messages.size(), 4u);  // first delivery, 2 redeliveries, the dead letter
    EXPECT_EQ(header_of(r.messages[0], "x-redeliveries"), "<absent>");
    EXPECT_EQ(header_of(r.messages[1], "x-redeliveries"), "1");
    EXPECT_EQ(header_of(r.messages[1], "redelivered"), "true");
    EXPECT_EQ(header_of(r.messages[2], "x-redeliveries"), "2");
    EXPECT_EQ(r.messages[2]->id, r.messages[0]->id);
    const auto& dead = r.messages[3];
    EXPECT_EQ(r.deliveries[3].first, "dlq");
    EXPECT_EQ(dead->destination, "/queue/work.dlq");
    EXPECT_NE(dead->id, r.messages[0]->id);
    EXPECT_EQ(dead->body, "m");
    EXPECT_EQ(header_of(dead, "x-death-reason"), "max-redeliveries");
    EXPECT_EQ(header_of(dead, "x-redeliveries"), "2");
    EXPECT_EQ(header_of(dead, "x-original-destination"), "/queue/work");
    EXPECT_EQ(header_of(dead, "redelivered"), "<absent>");
    // The dead letter's own death is a drop, not a /queue/work.dlq.dlq.
    r.queues.reject(dead);
    EXPECT_EQ(r.queues.depth("/queue/work.dlq.dlq"), 0u);
    EXPECT_EQ(r.queues.dropped(), 1u);
}

TEST(QueueManagerTest, RejectDeadLettersAtOnceAndEmptyDeadLetterDrops) {
    Recorder r;
    QueuePolicy dropping;
    dropping.dead_letter = "";
    r.queues.set_policies({{"/queue/", protocol::Pattern("nodlq.#"), dropping}}, QueuePolicy{});
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    ASSERT_TRUE(r.queues.enqueue(message("m")));
    r.queues.reject(r.messages.back());
    EXPECT_EQ(r.queues.depth("/queue/work.dlq"), 1u);
    r.queues.add_consumer("/queue/nodlq.x", {0, 1, "b"});
    ASSERT_TRUE(r.queues.enqueue(message_with("/queue/nodlq.x", "n", {})));
    r.queues.reject(r.messages.back());
    EXPECT_EQ(r.queues.depth("/queue/nodlq.x.dlq"), 0u);
    EXPECT_EQ(r.queues.dropped(), 1u);
}

TEST(QueueManagerTest, FirstMatchingRuleApplies) {
    Recorder r;
    QueuePolicy one;
    one.max_messages = 1;
    QueuePolicy three;
    three.max_messages = 3;
    r.queues.set_policies({{"/queue/", protocol::Pattern("small.*"), one},
                           {"/queue/", protocol::Pattern("#"), three}},
                          QueuePolicy{});
    EXPECT_TRUE(r.queues.enqueue(message_with("/queue/small.a", "1", {})));
    EXPECT_FALSE(r.queues.enqueue(message_with("/queue/small.a", "2", {})));
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(r.queues.enqueue(message_with("/queue/big", "x", {})));
    }
    EXPECT_FALSE(r.queues.enqueue(message_with("/queue/big", "x", {})));
}

TEST(QueueManagerTest, DropOldestDeadLettersTheOldestAndAcceptsTheNewest) {
    Recorder r;
    QueuePolicy policy;
    policy.max_messages = 2;
    policy.overflow = QueueOverflow::DropOldest;
    r.queues.set_policies({}, policy);
    for (const char* body : {"1", "2", "3"}) {
        EXPECT_TRUE(r.queues.enqueue(message(body)));
    }
    EXPECT_EQ(r.queues.depth("/queue/work"), 2u);
    EXPECT_EQ(r.queues.depth("/queue/work.dlq"), 1u);
    r.queues.add_consumer("/queue/work.dlq", {0, 1, "dlq"});
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0]->body, "1");
    EXPECT_EQ(header_of(r.messages[0], "x-death-reason"), "overflow");
    EXPECT_EQ(header_of(r.messages[0], "x-redeliveries"), "0");
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    ASSERT_EQ(r.messages.size(), 3u);
    EXPECT_EQ(r.messages[1]->body, "2");
    EXPECT_EQ(r.messages[2]->body, "3");
}

TEST(QueueManagerTest, MaxBytesBoundsTheWaitingBodies) {
    Recorder r;
    QueuePolicy policy;
    policy.max_bytes = 10;
    r.queues.set_policies({}, policy);
    EXPECT_TRUE(r.queues.enqueue(message("12345")));
    EXPECT_TRUE(r.queues.enqueue(message("67890")));
    EXPECT_FALSE(r.queues.enqueue(message("x")));
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    EXPECT_TRUE(r.queues.enqueue(message("x")));  // delivered: nothing waits
    r.queues.remove_consumer("/queue/work", {0, 1, "a"});
    EXPECT_FALSE(r.queues.enqueue(message("01234567890")));  // larger than the bound alone
    policy.overflow = QueueOverflow::DropOldest;
    r.queues.set_policies({}, policy);
    EXPECT_TRUE(r.queues.enqueue(message_with("/queue/other", "123456", {})));
    EXPECT_TRUE(r.queues.enqueue(message_with("/queue/other", "123456", {})));
    EXPECT_EQ(r.queues.depth("/queue/other"), 1u);
    EXPECT_EQ(r.queues.depth("/queue/other.dlq"), 1u);
}

TEST(QueueManagerTest, ExpiredMessagesAreDeadLetteredAtDispatch) {
    Recorder r;
    QueuePolicy policy;
    policy.ttl_ms = 50;
    r.queues.set_policies({{"/queue/", protocol::Pattern("ttl"), policy}}, QueuePolicy{});
    // `expires` in the past: never delivered.
    ASSERT_TRUE(r.queues.enqueue(message_with("/queue/work", "old", {{"expires", "1000"}})));
    ASSERT_TRUE(r.queues.enqueue(message_with("/queue/work", "fresh", {{"expires", "0"}})));
    ASSERT_TRUE(r.queues.enqueue(message_with("/queue/ttl", "short", {})));
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    r.queues.add_consumer("/queue/ttl", {0, 1, "t"});
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.messages[0]->body, "fresh");
    EXPECT_EQ(r.queues.depth("/queue/work.dlq"), 1u);
    EXPECT_EQ(r.queues.depth("/queue/ttl.dlq"), 1u);
    r.queues.add_consumer("/queue/ttl.dlq", {0, 1, "d"});
    ASSERT_EQ(r.messages.size(), 2u);
    EXPECT_EQ(header_of(r.messages[1], "x-death-reason"), "expired");
    EXPECT_EQ(header_of(r.messages[1], "x-original-destination"), "/queue/ttl");
}

TEST(QueueManagerTest, SendersCannotSetTheBrokersHeaders) {
    const auto m = message_with("/queue/work", "b",
                                {{"x-death-reason", "forged"},
                                 {"x-redeliveries", "9"},
                                 {"x-original-destination", "/queue/x"},
                                 {"redelivered", "true"}});
    EXPECT_TRUE(m->headers.empty());
    EXPECT_EQ(m->redeliveries, 0u);
}

TEST(QueueManagerTest, NewPoliciesApplyToQueuesThatExist) {
    Recorder r;
    ASSERT_TRUE(r.queues.enqueue(message("1")));
    ASSERT_TRUE(r.queues.enqueue(message("2")));
    QueuePolicy one;
    one.max_messages = 1;
    r.queues.set_policies({{"/queue/", protocol::Pattern("work"), one}}, QueuePolicy{});  // reload
    EXPECT_FALSE(r.queues.enqueue(message("3")));  // what waits stays; new SENDs meet the bound
    EXPECT_EQ(r.queues.depth("/queue/work"), 2u);
    EXPECT_TRUE(r.queues.enqueue(message_with("/queue/other", "x", {})));
    EXPECT_TRUE(r.queues.enqueue(message_with("/queue/other", "y", {})));
}

TEST(QueueManagerTest, ADeadLetterTargetEqualToTheQueueDrops) {
    Recorder r;
    QueuePolicy self;
    self.dead_letter = "{queue}";
    r.queues.set_policies({}, self);
    r.queues.add_consumer("/queue/work", {0, 1, "a"});
    ASSERT_TRUE(r.queues.enqueue(message("m")));
    r.queues.reject(r.messages.back());
    EXPECT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.queues.dropped(), 1u);
}

// User queues (/user/<principal>/queue/NAME) fan out: every consumer gets every message.
TEST(QueueManagerTest, AUserQueueFansOutAndHoldsWhileNobodyConsumes) {
    Recorder r;
    const std::string inbox = "/user/alice/queue/inbox";
    ASSERT_TRUE(r.queues.enqueue(message_with(inbox, "early", {})));
    EXPECT_EQ(r.queues.depth(inbox), 1u);
    r.queues.add_consumer(inbox, {0, 1, "a"});
    r.queues.add_consumer(inbox, {1, 2, "b"});
    ASSERT_TRUE(r.queues.enqueue(message_with(inbox, "m", {})));
    using D = std::pair<std::string, std::string>;
    EXPECT_EQ(r.deliveries, (std::vector<D>{{"a", "early"}, {"a", "m"}, {"b", "m"}}));
    // A delivery that found its subscription gone is not sent to the others again...
    r.queues.requeue(r.messages.back());
    EXPECT_EQ(r.deliveries.size(), 3u);
    EXPECT_EQ(r.queues.depth(inbox), 0u);
    // ...but waits when nobody consumes any more.
    r.queues.remove_consumer(inbox, {0, 1, "a"});
    r.queues.remove_consumer(inbox, {1, 2, "b"});
    r.queues.requeue(r.messages.back());
    EXPECT_EQ(r.queues.depth(inbox), 1u);
}

TEST(QueueManagerTest, UserQueueRulesReadSlashesAsSegments) {
    Recorder r;
    QueuePolicy small;
    small.max_messages = 1;
    r.queues.set_policies(
        {{"/user/", protocol::Pattern(slashes_as_dots("*/queue/small.#")), small, true}},
        QueuePolicy{});
    EXPECT_TRUE(r.queues.enqueue(message_with("/user/a%2Eb/queue/small", "1", {})));
    EXPECT_FALSE(r.queues.enqueue(message_with("/user/a%2Eb/queue/small", "2", {})));
    EXPECT_TRUE(r.queues.enqueue(message_with("/user/a%2Eb/queue/big", "1", {})));
    EXPECT_TRUE(r.queues.enqueue(message_with("/user/a%2Eb/queue/big", "2", {})));
}

}  // namespace
}  // namespace stampede::broker
