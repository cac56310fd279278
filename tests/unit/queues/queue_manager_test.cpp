// QueueManager: round robin, holding while nobody consumes, the bound, requeue at the head.
#include "queues/queue_manager.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::broker {
namespace {

protocol::MessagePtr message(const std::string& body) {
    return protocol::Message::make("/queue/work", body, "node", "", std::vector<protocol::Header>{},
                                   body);
}

struct Recorder {
    std::vector<std::pair<std::string, std::string>> deliveries;  // subscription id, body
    QueueManager queues{[this](const QueueConsumer& consumer, const protocol::MessagePtr& m) {
        deliveries.emplace_back(consumer.subscription_id, m->body);
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

}  // namespace
}  // namespace stampede::broker
