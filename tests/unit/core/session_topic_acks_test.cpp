// prefetch-count on topic subscriptions with client ack (core/session_topic_acks.cpp): the cap,
// the waiting messages released in order by ACK (individual and cumulative) and NACK, 1.1 acks
// by message-id, and the bound on what waits.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/session.hpp"
#include "fake_host.hpp"

namespace stampede::broker {
namespace {

using fakes::Client;
using fakes::FakeHost;
using fakes::frame;

/// The bodies of the MESSAGE frames in `out` and their `ack` (1.2) or `message-id` headers.
struct Delivered {
    std::vector<std::string> bodies;
    std::vector<std::string> ids;
};

Delivered delivered(const std::string& out, const std::string& id_header = "ack") {
    Delivered d;
    for (std::size_t at = 0; (at = out.find("MESSAGE\n", at)) != std::string::npos;) {
        const std::size_t head_end = out.find("\n\n", at);
        const std::size_t id_at = out.find("\n" + id_header + ":", at);
        if (id_at != std::string::npos && id_at < head_end) {
            const std::size_t from = id_at + id_header.size() + 2;
            d.ids.push_back(out.substr(from, out.find('\n', from) - from));
        }
        const std::size_t end = out.find('\0', head_end);
        d.bodies.push_back(out.substr(head_end + 2, end - head_end - 2));
        at = end;
    }
    return d;
}

void publish(Client& pub, const std::string& destination, const std::vector<std::string>& bodies) {
    for (const std::string& body : bodies) {
        pub.session.on_bytes(frame("SEND\ndestination:" + destination + "\n\n" + body));
    }
}

TEST(SessionTopicAcksTest, ClientIndividualCapsThenAckAndNackMakeRoomInOrder) {
    FakeHost host;
    Client sub(host, 1), pub(host, 2);
    sub.connect();
    pub.connect();
    sub.session.on_bytes(frame(
        "SUBSCRIBE\nid:s\ndestination:/topic/t\nack:client-individual\nprefetch-count:2\n\n"));
    publish(pub, "/topic/t", {"a", "b", "c", "d"});
    const Delivered first = delivered(sub.take());
    ASSERT_EQ(first.bodies, (std::vector<std::string>{"a", "b"}));
    sub.session.on_bytes(frame("ACK\nid:" + first.ids[1] + "\n\n"));
    EXPECT_EQ(delivered(sub.take()).bodies, std::vector<std::string>{"c"});
    sub.session.on_bytes(frame("NACK\nid:" + first.ids[0] + "\nreceipt:n\n\n"));
    const std::string out = sub.take();
    EXPECT_EQ(delivered(out).bodies, std::vector<std::string>{"d"});
    EXPECT_NE(out.find("RECEIPT\nreceipt-id:n\n"), std::string::npos);
    EXPECT_EQ(out.find("ERROR"), std::string::npos);
}

TEST(SessionTopicAcksTest, ClientModeAcknowledgesCumulatively) {
    FakeHost host;
    Client sub(host, 1), pub(host, 2);
    sub.connect();
    pub.connect();
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:s\ndestination:/topic/t\nack:client\nprefetch-count:3\n\n"));
    publish(pub, "/topic/t", {"1", "2", "3", "4", "5", "6"});
    const Delivered first = delivered(sub.take());
    ASSERT_EQ(first.bodies.size(), 3u);
    sub.session.on_bytes(frame("ACK\nid:" + first.ids[2] + "\n\n"));  // all three
    EXPECT_EQ(delivered(sub.take()).bodies, (std::vector<std::string>{"4", "5", "6"}));
}

TEST(SessionTopicAcksTest, StompOneOneAcksByMessageId) {
    FakeHost host;
    Client sub(host, 1), pub(host, 2);
    sub.connect("1.1");
    pub.connect();
    sub.session.on_bytes(frame(
        "SUBSCRIBE\nid:s\ndestination:/topic/t\nack:client-individual\nprefetch-count:1\n\n"));
    publish(pub, "/topic/t", {"x", "y"});
    const Delivered first = delivered(sub.take(), "message-id");
    ASSERT_EQ(first.bodies, std::vector<std::string>{"x"});
    sub.session.on_bytes(frame("ACK\nsubscription:s\nmessage-id:" + first.ids[0] + "\n\n"));
    EXPECT_EQ(delivered(sub.take(), "message-id").bodies, std::vector<std::string>{"y"});
}

TEST(SessionTopicAcksTest, WhatWaitsIsBoundedByThePendingBytes) {
    FakeHost host;
    host.mutable_config()->limits.max_pending_bytes_per_connection = 600;
    Client sub(host, 1), other(host, 2), pub(host, 3);
    sub.connect();
    other.connect();
    pub.connect();
    sub.session.on_bytes(
        frame("SUBSCRIBE\nid:s\ndestination:/topic/t\nack:client\nprefetch-count:1\n\n"));
    other.session.on_bytes(frame("SUBSCRIBE\nid:o\ndestination:/topic/t\n\n"));
    ASSERT_EQ(delivered(sub.take()).bodies.size(), 0u);
    for (int i = 0; i < 6; ++i) {
        publish(pub, "/topic/t", {std::string(100, 'x')});
        other.take();  // the uncapped subscriber keeps up
    }
    const std::string out = sub.take();
    EXPECT_NE(out.find("message:slow consumer\n"), std::string::npos) << out;
    EXPECT_NE(out.find("prefetch-count 1"), std::string::npos);
    publish(pub, "/topic/t", {"after"});
    EXPECT_EQ(delivered(other.take()).bodies, std::vector<std::string>{"after"});
}

}  // namespace
}  // namespace stampede::broker
