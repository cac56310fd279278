// Writer golden strings and the exactness of message_frame_size.
#include "protocol/writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser_harness.hpp"

namespace stampede::protocol::testing {
namespace {

TEST(Writer, ConnectedFrameIsNotEscaped) {
    std::string out;
    append_frame(out, Command::Connected,
                 {{"version", "1.2"},
                  {"server", "Stampede/0.1.0"},
                  {"session", "0-1"},
                  {"heart-beat", "10000,1000"}},
                 {}, Version::V1_2, false);
    EXPECT_EQ(out, wire("CONNECTED\nversion:1.2\nserver:Stampede/0.1.0\nsession:0-1\n"
                        "heart-beat:10000,1000\n\n^@"));
    out.clear();
    append_frame(out, Command::Connected, {{"note", "a:b\\c"}}, {}, Version::V1_2, false);
    EXPECT_EQ(out, wire("CONNECTED\nnote:a:b\\c\n\n^@"));
}

TEST(Writer, ReceiptWithAndWithoutContentLength) {
    std::string out;
    append_frame(out, Command::Receipt, {{"receipt-id", "77"}}, {}, Version::V1_2, false);
    EXPECT_EQ(out, wire("RECEIPT\nreceipt-id:77\n\n^@"));
    out.clear();
    append_frame(out, Command::Receipt, {{"receipt-id", "77"}}, {}, Version::V1_2);
    EXPECT_EQ(out, wire("RECEIPT\nreceipt-id:77\ncontent-length:0\n\n^@"));
}

TEST(Writer, ErrorFrameAlwaysCarriesLengthOfANonEmptyBody) {
    std::string out;
    append_frame(out, Command::Error,
                 {{"message", "max_frame_bytes exceeded"}, {"receipt-id", "r:1"}},
                 "limit is 1048576", Version::V1_2, false);
    EXPECT_EQ(out, wire("ERROR\nmessage:max_frame_bytes exceeded\nreceipt-id:r\\c1\n"
                        "content-length:16\n\nlimit is 1048576^@"));
}

TEST(Writer, WriterOwnsContentLength) {
    std::string out;
    append_frame(out, Command::Error, {{"content-length", "999"}, {"message", "m"}}, "ab",
                 Version::V1_2);
    EXPECT_EQ(out, wire("ERROR\nmessage:m\ncontent-length:2\n\nab^@"));
}

TEST(Writer, AppendsAfterExistingBytes) {
    std::string out = "previous";
    const std::vector<OwnedHeader> headers = {{"receipt-id", "1"}};
    append_frame(out, Command::Receipt, headers, {}, Version::V1_0, false);
    EXPECT_EQ(out, wire("previousRECEIPT\nreceipt-id:1\n\n^@"));
}

TEST(Writer, EscapesPerVersion) {
    const auto frame = [](Version version) {
        std::string out;
        append_frame(out, Command::Error, {{"message", "a:b\r\\"}}, {}, version, false);
        return out;
    };
    EXPECT_EQ(frame(Version::V1_2), wire("ERROR\nmessage:a\\cb\\r\\\\\n\n^@"));
    EXPECT_EQ(frame(Version::V1_1), wire("ERROR\nmessage:a\\cb\r\\\\\n\n^@"));
    EXPECT_EQ(frame(Version::V1_0), wire("ERROR\nmessage:a:b \\\n\n^@"));
}

TEST(Writer, MessageGolden) {
    const auto message = Message::make("/topic/room.1", "m-1", "node-a", "alice",
                                       Pairs{{"content-type", "text/plain"}, {"x-app", "7"}}, "hi");
    std::string out;
    append_message(out, *message, "sub-0", "", Version::V1_2);
    EXPECT_EQ(out, wire("MESSAGE\nsubscription:sub-0\ndestination:/topic/room.1\nmessage-id:m-1\n"
                        "x-sender:alice\ncontent-type:text/plain\nx-app:7\ncontent-length:2\n\n"
                        "hi^@"));
    out.clear();
    append_message(out, *message, "s:1", "ack-9", Version::V1_1);
    EXPECT_EQ(out, wire("MESSAGE\nsubscription:s\\c1\nack:ack-9\ndestination:/topic/room.1\n"
                        "message-id:m-1\nx-sender:alice\ncontent-type:text/plain\nx-app:7\n"
                        "content-length:2\n\nhi^@"));
}

TEST(Writer, MessageFrameSizeIsExactlyWhatIsAppended) {
    const std::string binary("\0\xff\0", 3);
    const std::vector<MessagePtr> messages = {
        Message::make("/topic/a", "1", "n", "", std::vector<Header>{}, ""),
        Message::make("/topic/a:b", "2", "n", "bob\n", Pairs{{"k\\", "v\r\n:"}, {"plain", "x"}},
                      binary),
        Message::make("/queue/q", "3", "n", "carol", Pairs{{"content-type", "application/json"}},
                      std::string(100000, 'j')),
    };
    for (const auto& message : messages) {
        for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
            for (const std::string_view subscription : {"0", "s:1\\", "sub\r\nx"}) {
                for (const std::string_view ack : {"", "ack-1", "a:\\b"}) {
                    std::string out = "xyz";
                    append_message(out, *message, subscription, ack, version);
                    EXPECT_EQ(message_frame_size(*message, subscription, ack, version),
                              out.size() - 3)
                        << message->id << " " << version_name(version) << " " << subscription;
                }
            }
        }
    }
}

TEST(Writer, PreEncodedHeadWritesTheSameFrameAndSize) {
    const auto message = Message::make("/topic/a:b", "2", "n", "bob", Pairs{{"k\\", "v\r\n:"}},
                                       std::string("x\0y", 3));
    for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
        for (const std::string_view subscription : {"0", "s:1\\", "sub\r\nx"}) {
            const std::string head = message_head(subscription, version);
            for (const std::string_view ack : {"", "17", "a:\\b"}) {
                std::string plain;
                append_message(plain, *message, subscription, ack, version);
                std::string with_head;
                append_message(with_head, head, *message, ack, version);
                EXPECT_EQ(with_head, plain) << version_name(version) << " " << subscription;
                EXPECT_EQ(message_frame_size(head, *message, ack, version), with_head.size())
                    << version_name(version) << " " << subscription << " " << ack;
            }
        }
    }
}

TEST(Writer, BatchOfMessagesParsesBackFrameByFrame) {
    const auto message =
        Message::make("/topic/t", "id-1", "n", "", Pairs{{"x", "1"}}, std::string("a\0b", 3));
    std::string batch;
    for (int i = 0; i < 5; ++i) {
        append_message(batch, *message, std::to_string(i), "", Version::V1_2);
    }
    const Outcome outcome = feed_whole(batch);
    ASSERT_EQ(outcome.frames.size(), 5U) << outcome;
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(outcome.frames[i].headers[0],
                  (std::pair<std::string, std::string>{"subscription", std::to_string(i)}));
        EXPECT_EQ(outcome.frames[i].body, std::string("a\0b", 3));
    }
}

}  // namespace
}  // namespace stampede::protocol::testing
