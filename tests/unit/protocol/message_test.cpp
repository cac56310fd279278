// Message::make: which sender headers pass through, and the encoded block per version.
#include "protocol/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>
#include <vector>

#include "parser_harness.hpp"
#include "protocol/writer.hpp"

namespace stampede::protocol::testing {
namespace {

std::vector<Header> send_headers() {
    return {
        {"destination", "/topic/a"},
        {"receipt", "r-1"},
        {"content-type", "text/plain"},
        {"transaction", "tx"},
        {"x-sender", "mallory"},
        {"content-length", "5"},
        {"priority", "high"},
        {"message-id", "forged"},
        {"subscription", "s"},
        {"ack", "a"},
        {"priority", "low"},
        {"trace", "t-9"},
    };
}

TEST(Message, DropsBrokerAndSendOnlyHeadersAndKeepsFirstOfRepeated) {
    const auto message =
        Message::make("/topic/a", "m-1", "node-a", "alice", send_headers(), "hello");
    EXPECT_EQ(message->headers,
              (Pairs{{"content-type", "text/plain"}, {"priority", "high"}, {"trace", "t-9"}}));
    EXPECT_EQ(message->destination, "/topic/a");
    EXPECT_EQ(message->id, "m-1");
    EXPECT_EQ(message->origin_node, "node-a");
    EXPECT_EQ(message->sender, "alice");
    EXPECT_EQ(message->body, "hello");
    EXPECT_TRUE(message->body_is_utf8);
    const std::string block =
        "destination:/topic/a\nmessage-id:m-1\nx-sender:alice\ncontent-type:text/plain\n"
        "priority:high\ntrace:t-9\ncontent-length:5\n";
    for (const std::string& encoded : message->encoded_headers) {
        EXPECT_EQ(encoded, block);
    }
}

TEST(Message, OwnedHeadersOverloadFiltersTheSameWay) {
    Pairs headers;
    for (const Header& header : send_headers()) {
        headers.emplace_back(header.name, header.value);
    }
    const auto from_frame = Message::make("/topic/a", "m-1", "n", "alice", send_headers(), "hello");
    const auto from_pairs =
        Message::make("/topic/a", "m-1", "n", "alice", std::move(headers), std::string("hello"));
    EXPECT_EQ(from_pairs->headers, from_frame->headers);
    EXPECT_EQ(from_pairs->encoded_headers, from_frame->encoded_headers);
}

TEST(Message, AnonymousSenderGetsNoXSenderAndContentTypeOnlyIfGiven) {
    const auto message = Message::make("/queue/q", "7", "n", "", std::vector<Header>{}, "");
    EXPECT_EQ(message->encoded_headers[2],
              "destination:/queue/q\nmessage-id:7\ncontent-length:0\n");
}

TEST(Message, ContentLengthCountsEveryBodyByte) {
    const std::string body("\0\0\xff", 3);
    const auto message = Message::make("/queue/q", "7", "n", "", Pairs{}, body);
    EXPECT_EQ(message->encoded_headers[0],
              "destination:/queue/q\nmessage-id:7\ncontent-length:3\n");
    EXPECT_FALSE(message->body_is_utf8);
}

TEST(Message, EncodesEachVersionItsOwnWay) {
    const auto message = Message::make("/topic/a:b", "m\\1", "n", "user\r\n",
                                       Pairs{{"k:ey", "v\nw"}, {"ok", "1"}, {"cr", "x\ry"}}, "b");
    EXPECT_EQ(message->encoded_headers[static_cast<int>(Version::V1_2)],
              "destination:/topic/a\\cb\nmessage-id:m\\\\1\nx-sender:user\\r\\n\n"
              "k\\cey:v\\nw\nok:1\ncr:x\\ry\ncontent-length:1\n");
    EXPECT_EQ(message->encoded_headers[static_cast<int>(Version::V1_1)],
              "destination:/topic/a\\cb\nmessage-id:m\\\\1\nx-sender:user\r\\n\n"
              "k\\cey:v\\nw\nok:1\ncr:x\ry\ncontent-length:1\n");
    // 1.0 cannot carry line breaks or a ':' in a name: such headers are left out, and the
    // mandatory values get spaces for their line breaks.
    EXPECT_EQ(message->encoded_headers[static_cast<int>(Version::V1_0)],
              "destination:/topic/a:b\nmessage-id:m\\1\nx-sender:user  \nok:1\n"
              "content-length:1\n");
    EXPECT_EQ(message->headers.size(), 3U);  // the message itself keeps them all
}

TEST(Message, HeadersNoVersionCanCarryAreDropped) {
    const auto message = Message::make("/topic/a", "1", "n", "",
                                       Pairs{{"", "empty name"},
                                             {std::string("n\0ul", 4), "v"},
                                             {"v", std::string("a\0", 2)},
                                             {"kept", "yes"}},
                                       "");
    EXPECT_EQ(message->headers, (Pairs{{"kept", "yes"}}));
}

TEST(Message, HeaderInjectionAttemptsParseBackAsPlainValues) {
    // A value trying to forge x-sender or content-length must stay one value in 1.1/1.2 and
    // must not become a header in 1.0.
    const auto message = Message::make(
        "/topic/a", "1", "n", "", Pairs{{"note", "a\nx-sender:admin\ncontent-length:0"}}, "body");
    for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
        std::string out;
        append_message(out, *message, "0", "", version);
        const Outcome outcome = feed_whole(out, version);
        ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
        const OwnedFrame& frame = outcome.frames[0];
        EXPECT_EQ(frame.body, "body");
        for (const auto& [name, value] : frame.headers) {
            EXPECT_NE(name, "x-sender") << version_name(version);
        }
    }
}

TEST(Message, IsSharedImmutable) {
    const MessagePtr message = Message::make("/topic/a", "1", "n", "", Pairs{}, "x");
    const MessagePtr copy = message;
    EXPECT_EQ(copy.use_count(), 2);
    static_assert(std::is_same_v<MessagePtr::element_type, const Message>);
}

TEST(Message, RedeliveriesAreCountedInTheHeaders) {
    const MessagePtr first =
        Message::make("/queue/a", "7", "n", "", Pairs{{"redelivered", "true"}, {"k", "v"}}, "x");
    EXPECT_EQ(first->redeliveries, 0u);
    const MessagePtr second = first->redelivery()->redelivery();
    EXPECT_EQ(second->id, "7");
    EXPECT_EQ(second->redeliveries, 2u);
    EXPECT_EQ(second->headers, (std::vector<std::pair<std::string, std::string>>{
                                   {"k", "v"}, {"redelivered", "true"}, {"x-redeliveries", "2"}}));
    EXPECT_NE(second->encoded_headers[2].find("redelivered:true\nx-redeliveries:2\n"),
              std::string::npos);
}

TEST(Message, DeadLetterIsANewMessageSayingWhy) {
    const MessagePtr dead =
        Message::make("/queue/a", "7", "n", "alice", Pairs{{"k", "v"}, {"expires", "1"}}, "x")
            ->redelivery()
            ->dead_letter("/queue/a.dlq", "7-dl", "rejected");
    EXPECT_EQ(dead->destination, "/queue/a.dlq");
    EXPECT_EQ(dead->id, "7-dl");
    EXPECT_EQ(dead->sender, "alice");
    EXPECT_EQ(dead->body, "x");
    EXPECT_TRUE(dead->dead_lettered);
    EXPECT_FALSE(dead->redelivered);
    EXPECT_EQ(dead->expires_ms, 0);  // it expired (or died) once: its own queue's ttl only
    EXPECT_EQ(dead->headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"k", "v"},
                                 {"expires", "1"},
                                 {"x-death-reason", "rejected"},
                                 {"x-redeliveries", "1"},
                                 {"x-original-destination", "/queue/a"}}));
}

TEST(Message, ExpiresIsReadFromTheSend) {
    const auto expires_of = [](const std::string& value) {
        return Message::make("/queue/a", "1", "n", "", Pairs{{"expires", value}}, "")->expires_ms;
    };
    EXPECT_EQ(expires_of("1700000000000"), 1700000000000);
    EXPECT_EQ(expires_of("0"), 0);
    EXPECT_EQ(expires_of("-5"), 0);
    EXPECT_EQ(expires_of("soon"), 0);
    EXPECT_EQ(expires_of("12x"), 0);
    EXPECT_GT(Message::make("/queue/a", "1", "n", "", Pairs{}, "")->created_ms, 1700000000000);
}

}  // namespace
}  // namespace stampede::protocol::testing
