// The parser against every example frame of the STOMP 1.2 specification, and the 1.1 and 1.0
// examples where they differ. Each example is also fed cut at every byte boundary, byte by
// byte, packed between other frames, surrounded by heart-beat EOLs, and with CRLF line ends.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "parser_harness.hpp"

namespace stampede::protocol::testing {
namespace {

struct SpecExample {
    std::string name;
    Version version;
    std::string frame;  // wire bytes, NUL included
    OwnedFrame expected;
};

OwnedFrame expect(Command command, std::string text, Pairs headers, std::string body = "",
                  bool has_content_length = false) {
    return {command, std::move(text), std::move(headers), std::move(body), has_content_length};
}

// The ERROR examples carry a long explanatory body with a frame quoted inside it. The body
// text here is ours; its shape (blank lines, a quoted frame, a trailing LF, an exact
// content-length) follows the examples.
std::string quoted_frame_body(bool double_blank_line) {
    return std::string("The refused frame:\n-----\nMESSAGE\ndestined:/queue/a\n") +
           "receipt:message-12345\n" + (double_blank_line ? "\n\n" : "\n") +
           "Hi queue a!\n-----\nIt has no destination header,\nwhich routing needs.\n";
}

std::vector<SpecExample> spec_1_2_examples() {
    const std::string error_body = quoted_frame_body(false);
    return {
        {"frame_structure", Version::V1_2,
         wire("COMMAND\nheader1:value1\nheader2:value2\n\nBody^@"),
         expect(Command::Unknown, "COMMAND", {{"header1", "value1"}, {"header2", "value2"}},
                "Body")},
        {"receipt_header", Version::V1_2,
         wire("SEND\ndestination:/queue/a\nreceipt:message-12345\n\nhello queue a^@"),
         expect(Command::Send, "SEND", {{"destination", "/queue/a"}, {"receipt", "message-12345"}},
                "hello queue a")},
        {"repeated_headers", Version::V1_2, wire("MESSAGE\nfoo:World\nfoo:Hello\n\n^@"),
         expect(Command::Message, "MESSAGE", {{"foo", "World"}, {"foo", "Hello"}})},
        {"connect", Version::V1_2, wire("CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n^@"),
         expect(Command::Connect, "CONNECT",
                {{"accept-version", "1.2"}, {"host", "stomp.github.org"}})},
        {"connected", Version::V1_2, wire("CONNECTED\nversion:1.2\n\n^@"),
         expect(Command::Connected, "CONNECTED", {{"version", "1.2"}})},
        {"connect_negotiation", Version::V1_2,
         wire("CONNECT\naccept-version:1.0,1.1,2.0\nhost:stomp.github.org\n\n^@"),
         expect(Command::Connect, "CONNECT",
                {{"accept-version", "1.0,1.1,2.0"}, {"host", "stomp.github.org"}})},
        {"connected_negotiated", Version::V1_2, wire("CONNECTED\nversion:1.1\n\n^@"),
         expect(Command::Connected, "CONNECTED", {{"version", "1.1"}})},
        {"error_no_common_version", Version::V1_2,
         wire("ERROR\nversion:1.2,2.1\ncontent-type:text/plain\n\n"
              "Supported protocol versions are 1.2 2.1^@"),
         expect(Command::Error, "ERROR", {{"version", "1.2,2.1"}, {"content-type", "text/plain"}},
                "Supported protocol versions are 1.2 2.1")},
        // The formal heart-beat frames are shown without a NUL; here they are completed.
        {"connect_heart_beat", Version::V1_2, wire("CONNECT\nheart-beat:<cx>,<cy>\n\n^@"),
         expect(Command::Connect, "CONNECT", {{"heart-beat", "<cx>,<cy>"}})},
        {"connected_heart_beat", Version::V1_2, wire("CONNECTED\nheart-beat:<sx>,<sy>\n\n^@"),
         expect(Command::Connected, "CONNECTED", {{"heart-beat", "<sx>,<sy>"}})},
        {"send", Version::V1_2,
         wire("SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\n^@"),
         expect(Command::Send, "SEND",
                {{"destination", "/queue/a"}, {"content-type", "text/plain"}}, "hello queue a\n")},
        {"subscribe", Version::V1_2,
         wire("SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n^@"),
         expect(Command::Subscribe, "SUBSCRIBE",
                {{"id", "0"}, {"destination", "/queue/foo"}, {"ack", "client"}})},
        {"unsubscribe", Version::V1_2, wire("UNSUBSCRIBE\nid:0\n\n^@"),
         expect(Command::Unsubscribe, "UNSUBSCRIBE", {{"id", "0"}})},
        {"ack", Version::V1_2, wire("ACK\nid:12345\ntransaction:tx1\n\n^@"),
         expect(Command::Ack, "ACK", {{"id", "12345"}, {"transaction", "tx1"}})},
        {"begin", Version::V1_2, wire("BEGIN\ntransaction:tx1\n\n^@"),
         expect(Command::Begin, "BEGIN", {{"transaction", "tx1"}})},
        {"commit", Version::V1_2, wire("COMMIT\ntransaction:tx1\n\n^@"),
         expect(Command::Commit, "COMMIT", {{"transaction", "tx1"}})},
        {"abort", Version::V1_2, wire("ABORT\ntransaction:tx1\n\n^@"),
         expect(Command::Abort, "ABORT", {{"transaction", "tx1"}})},
        // These two examples have no blank line before the NUL; the parser accepts them.
        {"disconnect", Version::V1_2, wire("DISCONNECT\nreceipt:77\n^@"),
         expect(Command::Disconnect, "DISCONNECT", {{"receipt", "77"}})},
        {"disconnect_receipt", Version::V1_2, wire("RECEIPT\nreceipt-id:77\n^@"),
         expect(Command::Receipt, "RECEIPT", {{"receipt-id", "77"}})},
        {"message", Version::V1_2,
         wire("MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\n"
              "content-type:text/plain\n\nhello queue a^@"),
         expect(Command::Message, "MESSAGE",
                {{"subscription", "0"},
                 {"message-id", "007"},
                 {"destination", "/queue/a"},
                 {"content-type", "text/plain"}},
                "hello queue a")},
        {"receipt", Version::V1_2, wire("RECEIPT\nreceipt-id:message-12345\n\n^@"),
         expect(Command::Receipt, "RECEIPT", {{"receipt-id", "message-12345"}})},
        {"error", Version::V1_2,
         wire("ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:" +
              std::to_string(error_body.size()) + "\nmessage:malformed frame received\n\n") +
             error_body + std::string(1, '\0'),
         expect(Command::Error, "ERROR",
                {{"receipt-id", "message-12345"},
                 {"content-type", "text/plain"},
                 {"content-length", std::to_string(error_body.size())},
                 {"message", "malformed frame received"}},
                error_body, true)},
    };
}

// Examples of 1.1 and 1.0 that differ from the 1.2 ones. 1.0 values are taken as they are:
// the padding in "destination: /queue/foo" is not trimmed (the spec's own later advice).
std::vector<SpecExample> older_examples() {
    const std::string error_body = quoted_frame_body(true);
    return {
        {"v11_ack", Version::V1_1,
         wire("ACK\nsubscription:0\nmessage-id:007\ntransaction:tx1\n\n^@"),
         expect(Command::Ack, "ACK",
                {{"subscription", "0"}, {"message-id", "007"}, {"transaction", "tx1"}})},
        {"v11_connect", Version::V1_1,
         wire("CONNECT\naccept-version:1.1\nhost:stomp.github.org\n\n^@"),
         expect(Command::Connect, "CONNECT",
                {{"accept-version", "1.1"}, {"host", "stomp.github.org"}})},
        {"v11_error", Version::V1_1,
         wire("ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:" +
              std::to_string(error_body.size()) + "\nmessage: malformed frame received\n\n") +
             error_body + std::string(1, '\0'),
         expect(Command::Error, "ERROR",
                {{"receipt-id", "message-12345"},
                 {"content-type", "text/plain"},
                 {"content-length", std::to_string(error_body.size())},
                 {"message", " malformed frame received"}},
                error_body, true)},
        {"v10_connect", Version::V1_0,
         wire("CONNECT\nlogin: <username>\npasscode:<passcode>\n\n^@"),
         expect(Command::Connect, "CONNECT",
                {{"login", " <username>"}, {"passcode", "<passcode>"}})},
        {"v10_connected", Version::V1_0, wire("CONNECTED\nsession: <session-id>\n\n^@"),
         expect(Command::Connected, "CONNECTED", {{"session", " <session-id>"}})},
        {"v10_send", Version::V1_0, wire("SEND\ndestination:/queue/a\n\nhello queue a\n^@"),
         expect(Command::Send, "SEND", {{"destination", "/queue/a"}}, "hello queue a\n")},
        {"v10_subscribe", Version::V1_0,
         wire("SUBSCRIBE\ndestination: /queue/foo\nack: client\n\n^@"),
         expect(Command::Subscribe, "SUBSCRIBE",
                {{"destination", " /queue/foo"}, {"ack", " client"}})},
        {"v10_unsubscribe", Version::V1_0, wire("UNSUBSCRIBE\ndestination: /queue/a\n\n^@"),
         expect(Command::Unsubscribe, "UNSUBSCRIBE", {{"destination", " /queue/a"}})},
        {"v10_begin", Version::V1_0, wire("BEGIN\ntransaction: <transaction-identifier>\n\n^@"),
         expect(Command::Begin, "BEGIN", {{"transaction", " <transaction-identifier>"}})},
        {"v10_ack", Version::V1_0,
         wire("ACK\nmessage-id: <message-identifier>\ntransaction: <transaction-identifier>\n\n^@"),
         expect(Command::Ack, "ACK",
                {{"message-id", " <message-identifier>"},
                 {"transaction", " <transaction-identifier>"}})},
        {"v10_disconnect", Version::V1_0, wire("DISCONNECT\n\n^@"),
         expect(Command::Disconnect, "DISCONNECT", {})},
        {"v10_receipt_request", Version::V1_0,
         wire("SEND\ndestination:/queue/a\nreceipt:message-12345\n\nHello a!^@"),
         expect(Command::Send, "SEND", {{"destination", "/queue/a"}, {"receipt", "message-12345"}},
                "Hello a!")},
        {"v10_message", Version::V1_0,
         wire("MESSAGE\ndestination:/queue/a\nmessage-id: <message-identifier>\n\nhello queue a^@"),
         expect(Command::Message, "MESSAGE",
                {{"destination", "/queue/a"}, {"message-id", " <message-identifier>"}},
                "hello queue a")},
        // Without content-length the body runs to the first NUL, blank lines included.
        {"v10_error", Version::V1_0,
         wire("ERROR\nmessage: malformed packet received\n\n") + error_body + std::string(1, '\0'),
         expect(Command::Error, "ERROR", {{"message", " malformed packet received"}}, error_body)},
    };
}

std::vector<SpecExample> all_examples() {
    auto examples = spec_1_2_examples();
    for (auto& example : older_examples()) {
        examples.push_back(std::move(example));
    }
    return examples;
}

// The same frame with CRLF ending every command and header line (and the blank line); the
// body is left alone, so content-length stays right.
std::string with_crlf(const std::string& frame) {
    const std::size_t blank = frame.find("\n\n");
    const std::size_t nul = frame.find('\0');
    const std::size_t head_end = std::min(blank == std::string::npos ? nul : blank + 2, nul);
    std::string out;
    for (std::size_t i = 0; i < frame.size(); ++i) {
        if (i < head_end && frame[i] == '\n') {
            out.push_back('\r');
        }
        out.push_back(frame[i]);
    }
    return out;
}

class SpecExampleTest : public ::testing::TestWithParam<SpecExample> {};

TEST_P(SpecExampleTest, ParsesAtEveryCut) {
    const SpecExample& example = GetParam();
    const Outcome outcome = expect_split_invariant(example.frame, example.version);
    EXPECT_EQ(outcome.error, ProtocolError::None);
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0], example.expected);
    EXPECT_EQ(outcome.events, "F");
    EXPECT_EQ(outcome.buffered, 0U);
}

TEST_P(SpecExampleTest, ParsesWithCrlfLineEnds) {
    const SpecExample& example = GetParam();
    const std::string crlf = with_crlf(example.frame);
    ASSERT_NE(crlf, example.frame);
    const Outcome outcome = expect_split_invariant(crlf, example.version);
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0], example.expected);
}

TEST_P(SpecExampleTest, ParsesSurroundedByHeartBeats) {
    const SpecExample& example = GetParam();
    for (const std::string& frame : {example.frame, with_crlf(example.frame)}) {
        const std::string stream = "\n\r\n" + frame + "\n\r\n\n";
        const Outcome outcome = expect_split_invariant(stream, example.version);
        EXPECT_EQ(outcome.error, ProtocolError::None);
        EXPECT_EQ(outcome.events, "HHFHHH");
        ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
        EXPECT_EQ(outcome.frames[0], example.expected);
    }
}

TEST_P(SpecExampleTest, ParsesPackedBetweenOtherFrames) {
    const SpecExample& example = GetParam();
    // Before: a body with NULs read by content-length; after: a body ended by its NUL.
    const std::string before = wire("SEND\ndestination:/b\ncontent-length:3\n\na^@b^@");
    const std::string after = wire("SEND\ndestination:/c\n\nc^@");
    const std::string stream = before + example.frame + after + example.frame;
    const Outcome outcome = expect_split_invariant(stream, example.version);
    EXPECT_EQ(outcome.error, ProtocolError::None);
    ASSERT_EQ(outcome.frames.size(), 4U) << outcome;
    EXPECT_EQ(outcome.frames[0].body, std::string("a\0b", 3));
    EXPECT_EQ(outcome.frames[1], example.expected);
    EXPECT_EQ(outcome.frames[2].body, "c");
    EXPECT_EQ(outcome.frames[3], example.expected);
}

TEST(SpecExamples, AllPackedInOneStream) {
    std::string stream;
    std::vector<OwnedFrame> expected;
    for (const SpecExample& example : spec_1_2_examples()) {
        stream += example.frame + "\n";
        expected.push_back(example.expected);
    }
    const Outcome outcome = expect_split_invariant(stream, Version::V1_2);
    EXPECT_EQ(outcome.frames, expected);
    EXPECT_EQ(outcome.events.size(), expected.size() * 2);
}

TEST(SpecExamples, RepeatedHeaderFirstValueWins) {
    FrameParser parser;
    RecordingSink sink;
    std::optional<std::string> foo;
    sink.on_frame_hook = [&](const Frame& frame) {
        foo = std::string(frame.header("foo").value_or("?"));
        return true;
    };
    const std::string frame = wire("MESSAGE\nfoo:World\nfoo:Hello\n\n^@");
    parser.feed(frame, sink);
    EXPECT_EQ(foo, "World");
}

INSTANTIATE_TEST_SUITE_P(Spec, SpecExampleTest, ::testing::ValuesIn(all_examples()),
                         [](const ::testing::TestParamInfo<SpecExample>& info) {
                             return info.param.name;
                         });

}  // namespace
}  // namespace stampede::protocol::testing
