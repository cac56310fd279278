// Escaping round trips: what the writer writes, the parser gives back unchanged, per version.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser_harness.hpp"
#include "protocol/writer.hpp"

namespace stampede::protocol::testing {
namespace {

// Values each context can carry faithfully. 1.0 and the connection frames have no escapes, so
// they cannot carry line breaks; 1.1 has no CR escape and CRLF is accepted as a line end, so a
// CR is safe there only inside a value.
Pairs tricky_headers(Version version, Command command) {
    Pairs headers = {
        {"plain", "value"},         {"colon", "a:b::c"},
        {"backslash", "C:\\dir\\"}, {"unicode", "h\xC3\xA9llo \xF0\x9F\x98\x80"},
        {"spaces", "  padded  "},   {"empty", ""},
    };
    const bool escapes = version != Version::V1_0 && command != Command::Connect &&
                         command != Command::Stomp && command != Command::Connected;
    if (escapes) {
        headers.push_back({"line:break", "one\ntwo\n"});
        headers.push_back({"back\\slash", "\\n is not a newline"});
        headers.push_back({"cr", "a\rb"});
        if (version == Version::V1_2) {
            headers.push_back({"crlf", "\r\n\r"});
        }
    }
    return headers;
}

TEST(RoundTrip, WriterThenParserGivesTheSameHeadersAndBody) {
    const std::string body("body\0with\nNULs\0", 15);
    for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
        for (const Command command : {Command::Send, Command::Message, Command::Error,
                                      Command::Connect, Command::Connected, Command::Subscribe}) {
            const Pairs headers = tricky_headers(version, command);
            std::vector<OwnedHeader> views;
            for (const auto& [name, value] : headers) {
                views.push_back({name, value});
            }
            std::string out;
            append_frame(out, command, views, body, version);
            const Outcome outcome = expect_split_invariant(out, version);
            ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
            Pairs expected = headers;
            expected.emplace_back("content-length", std::to_string(body.size()));
            EXPECT_EQ(outcome.frames[0], (OwnedFrame{command, std::string(command_name(command)),
                                                     expected, body, true}))
                << version_name(version) << " " << command_name(command);
        }
    }
}

TEST(RoundTrip, MessageDeliveryParsesBackToTheMessage) {
    const std::string body("\0binary\xff\0", 9);
    const Pairs headers = {{"content-type", "application/octet-stream"},
                           {"x:colon", "v:1"},
                           {"path", "C:\\tmp"},
                           {"multi", "line\none"}};
    const auto message =
        Message::make("/topic/room.1", "node-1:42", "node-1", "user:alice", headers, body);
    for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
        std::string out;
        append_message(out, *message, "sub:0", "ack\\1", version);
        const Outcome outcome = expect_split_invariant(out, version);
        ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
        const OwnedFrame& frame = outcome.frames[0];
        EXPECT_EQ(frame.command, Command::Message);
        EXPECT_EQ(frame.body, body);
        Pairs expected = {
            {"subscription", "sub:0"},        {"ack", "ack\\1"},
            {"destination", "/topic/room.1"}, {"message-id", "node-1:42"},
            {"x-sender", "user:alice"},       {"content-type", "application/octet-stream"}};
        if (version != Version::V1_0) {
            expected.insert(expected.end(), headers.begin() + 1, headers.end());
        } else {
            expected.push_back(headers[2]);  // the others cannot be written in 1.0
        }
        expected.emplace_back("content-length", std::to_string(body.size()));
        EXPECT_EQ(frame.headers, expected) << version_name(version);
    }
}

}  // namespace
}  // namespace stampede::protocol::testing
