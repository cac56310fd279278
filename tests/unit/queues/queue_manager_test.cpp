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
