// QueueManager from several threads at once: queues in different stripes, one queue shared
// by all, dead letters crossing stripes. Every message is delivered exactly once or
// dead-lettered exactly once; nothing is lost or duplicated (run under ASan/UBSan by make test).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "queues/queue_manager.hpp"

namespace stampede::broker {
namespace {

constexpr int kThreads = 4;
constexpr int kPerThread = 2000;

protocol::MessagePtr numbered(const std::string& destination, int thread, int i) {
    const std::string body = std::to_string(thread) + ":" + std::to_string(i);
    return protocol::Message::make(destination, body, "node", "", std::vector<protocol::Header>{},
                                   body);
}

struct Collector {
    std::mutex mutex;
    std::multiset<std::string> bodies;  // destination + body of every delivery
    QueueManager queues{[this](const QueueConsumer&, const protocol::MessagePtr& m) {
        const std::lock_guard lock(mutex);
        bodies.insert(m->destination + " " + m->body);
    }};
};

TEST(QueueStripesTest, ConcurrentSendersToManyQueuesAndOneSharedQueueLoseNothing) {
    Collector c;
    for (int t = 0; t < kThreads; ++t) {
        c.queues.add_consumer("/queue/own." + std::to_string(t), {0, 1, "own"});
        c.queues.add_consumer("/queue/shared", {static_cast<unsigned>(t), 1, "shared"});
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&c, t] {
            for (int i = 0; i < kPerThread; ++i) {
                ASSERT_TRUE(c.queues.enqueue(numbered("/queue/own." + std::to_string(t), t, i)));
                ASSERT_TRUE(c.queues.enqueue(numbered("/queue/shared", t, i)));
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(c.bodies.size(), 2u * kThreads * kPerThread);
    for (int t = 0; t < kThreads; ++t) {
        for (int i = 0; i < kPerThread; ++i) {
            const std::string body = std::to_string(t) + ":" + std::to_string(i);
            EXPECT_EQ(c.bodies.count("/queue/own." + std::to_string(t) + " " + body), 1u);
            EXPECT_EQ(c.bodies.count("/queue/shared " + body), 1u);
        }
    }
}

TEST(QueueStripesTest, ConcurrentRejectsDeadLetterAcrossStripesExactlyOnce) {
    std::mutex mutex;
    std::vector<protocol::MessagePtr> delivered;
    std::atomic<int> dead{0};
    QueueManager queues{[&](const QueueConsumer& who, const protocol::MessagePtr& m) {
        if (who.subscription_id == "dlq") {
            dead.fetch_add(1);
            return;
        }
        const std::lock_guard lock(mutex);
        delivered.push_back(m);
    }};
    for (int t = 0; t < kThreads; ++t) {
        queues.add_consumer("/queue/work." + std::to_string(t), {0, 1, "work"});
        queues.add_consumer("/queue/work." + std::to_string(t) + ".dlq", {0, 1, "dlq"});
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                ASSERT_TRUE(queues.enqueue(numbered("/queue/work." + std::to_string(t), t, i)));
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(delivered.size(), static_cast<std::size_t>(kThreads * kPerThread));
    // Reject them all from several threads: each becomes one dead letter in its own .dlq.
    threads.clear();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t i = t; i < delivered.size(); i += kThreads) {
                queues.reject(delivered[i]);
            }
        });
    }
    for (std::thread& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(dead.load(), kThreads * kPerThread);
    EXPECT_EQ(queues.dead_lettered(), static_cast<std::uint64_t>(kThreads * kPerThread));
    EXPECT_EQ(queues.dropped(), 0u);
}

}  // namespace
}  // namespace stampede::broker
