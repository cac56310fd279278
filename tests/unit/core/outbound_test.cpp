// OutboundQueue: order through the ring's growth and wrap-around, batches split by frame kind,
// exact pending bytes, what the removal paths keep, memory given back, and LocalMessage
// releasing the shared message with the last delivery that holds it.
#include "core/outbound.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "protocol/message.hpp"
#include "protocol/writer.hpp"

namespace stampede::broker {
namespace {

using protocol::Message;
using protocol::MessagePtr;
using protocol::Version;

MessagePtr make_message(const std::string& body) {
    return Message::make("/topic/t", "id-" + body, "n", "", std::vector<protocol::Header>{}, body);
}

Subscription make_subscription(const std::string& id) {
    Subscription sub;
    sub.id = id;
    sub.message_head = protocol::message_head(id, Version::V1_2);
    return sub;
}

std::string expected_message(const Subscription& sub, const Message& message,
                             const std::string& ack) {
    std::string out;
    protocol::append_message(out, message, sub.id, ack, Version::V1_2);
    return out;
}

TEST(OutboundQueue, KeepsOrderAcrossGrowthAndWrapAround) {
    const Subscription sub = make_subscription("s");
    OutboundQueue queue;
    std::string expected;
    std::string drained;
    int next = 0;
    // Pushes and drains in uneven steps so the head moves around the ring while it grows.
    for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 3 + round; ++i) {
            const auto message = make_message(std::to_string(next++));
            expected += expected_message(sub, *message, "");
            queue.push_message(LocalMessage(message), &sub, 0, Version::V1_2);
        }
        queue.drain_into(drained, 2 * 64, Version::V1_2);  // about a couple of frames
    }
    while (!queue.empty()) {
        queue.drain_into(drained, 1 << 20, Version::V1_2);
    }
    EXPECT_EQ(drained, expected);
    EXPECT_EQ(queue.pending_bytes(), 0U);
}

TEST(OutboundQueue, PendingBytesAreWhatDrainingWrites) {
    const Subscription sub = make_subscription("sub:1");  // escaped in the head
    OutboundQueue queue;
    queue.push_control("RECEIPT\nreceipt-id:1\n\n" + std::string(1, '\0'));
    queue.push_message(LocalMessage(make_message("hello")), &sub, 0, Version::V1_2);
    queue.push_message(LocalMessage(make_message("acked")), &sub, 123456789, Version::V1_2);
    const std::size_t pending = queue.pending_bytes();
    std::string out;
    const DrainResult result = queue.drain_into(out, 1 << 20, Version::V1_2);
    EXPECT_EQ(result.bytes, pending);
    EXPECT_EQ(out.size(), pending);
    EXPECT_EQ(result.messages, 2U);
    EXPECT_NE(out.find("ack:123456789\n"), std::string::npos);
    EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, BinaryAndTextGoInSeparateBatches) {
    const Subscription sub = make_subscription("s");
    OutboundQueue queue;
    queue.push_message(LocalMessage(make_message("text")), &sub, 0, Version::V1_2);
    queue.push_message(LocalMessage(make_message(std::string("\xff\xfe", 2))), &sub, 0,
                       Version::V1_2);
    queue.push_message(LocalMessage(make_message("more text")), &sub, 0, Version::V1_2);
    std::string out;
    EXPECT_FALSE(queue.drain_into(out, 1 << 20, Version::V1_2).binary);
    EXPECT_EQ(queue.size(), 2U);
    out.clear();
    const DrainResult binary = queue.drain_into(out, 1 << 20, Version::V1_2);
    EXPECT_TRUE(binary.binary);
    EXPECT_EQ(binary.messages, 1U);
    out.clear();
    EXPECT_FALSE(queue.drain_into(out, 1 << 20, Version::V1_2).binary);
    EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, DropOldestKeepsControlFramesAndOrder) {
    const Subscription sub = make_subscription("s");
    OutboundQueue queue;
    queue.push_control("CONTROL-1");
    for (int i = 0; i < 10; ++i) {
        queue.push_message(LocalMessage(make_message("m" + std::to_string(i))), &sub, 0,
                           Version::V1_2);
    }
    queue.push_control("CONTROL-2");
    const std::size_t one = queue.pending_bytes() / 10;  // roughly one message
    std::vector<std::string> dropped;
    const std::size_t count = queue.drop_oldest(
        queue.pending_bytes() - 3 * one,
        [&dropped](OutboundItem& item) { dropped.push_back(item.message->body); });
    EXPECT_EQ(count, dropped.size());
    ASSERT_GE(dropped.size(), 3U);
    EXPECT_EQ(dropped.front(), "m0");  // the oldest first
    std::string out;
    queue.drain_into(out, 1 << 20, Version::V1_2);
    EXPECT_EQ(out.rfind("CONTROL-1", 0), 0U);
    EXPECT_NE(out.find("CONTROL-2"), std::string::npos);
    EXPECT_EQ(out.find("\n\nm0"), std::string::npos);
    EXPECT_NE(out.find("\n\nm9"), std::string::npos);
}

TEST(OutboundQueue, RemovesOneSubscriptionsItemsOnly) {
    const Subscription a = make_subscription("a");
    const Subscription b = make_subscription("b");
    OutboundQueue queue;
    for (int i = 0; i < 6; ++i) {
        queue.push_message(LocalMessage(make_message(std::to_string(i))), i % 2 == 0 ? &a : &b, 0,
                           Version::V1_2);
    }
    int removed = 0;
    queue.remove_subscription(&a, [&removed](OutboundItem&) { ++removed; });
    EXPECT_EQ(removed, 3);
    EXPECT_EQ(queue.size(), 3U);
    std::string out;
    queue.drain_into(out, 1 << 20, Version::V1_2);
    EXPECT_EQ(out.find("subscription:a\n"), std::string::npos);
    EXPECT_LT(out.find("\n\n1"), out.find("\n\n3"));
    EXPECT_LT(out.find("\n\n3"), out.find("\n\n5"));
}

TEST(OutboundQueue, GivesBackABurstsMemoryOnceEmpty) {
    const Subscription sub = make_subscription("s");
    OutboundQueue queue;
    EXPECT_EQ(queue.capacity(), 0U);  // an idle connection holds no slots
    const auto message = make_message("x");
    for (int i = 0; i < 1000; ++i) {
        queue.push_message(LocalMessage(message), &sub, 0, Version::V1_2);
    }
    EXPECT_GE(queue.capacity(), 1000U);
    std::string out;
    while (!queue.empty()) {
        queue.drain_into(out, 1 << 20, Version::V1_2);
    }
    EXPECT_LE(queue.capacity(), 8U);
}

TEST(LocalMessage, LastDeliveryReleasesTheSharedMessage) {
    const Subscription sub = make_subscription("s");
    std::weak_ptr<const Message> watch;
    OutboundQueue first;
    OutboundQueue second;
    {
        auto message = make_message("shared");
        watch = message;
        const LocalMessage local(std::move(message));
        first.push_message(local, &sub, 0, Version::V1_2);
        second.push_message(local, &sub, 0, Version::V1_2);
        EXPECT_EQ(watch.use_count(), 1);  // one shared reference, however many deliveries
    }
    std::string out;
    first.drain_into(out, 1 << 20, Version::V1_2);
    EXPECT_FALSE(watch.expired());
    second.remove_messages([](OutboundItem&) {});
    EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace stampede::broker
