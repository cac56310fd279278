// Command and version names, first-wins header lookup, and the fixed error texts.
#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include "protocol/error.hpp"

namespace stampede::protocol {
namespace {

TEST(Frame, CommandNamesRoundTrip) {
    for (int i = 0; i < static_cast<int>(Command::Unknown); ++i) {
        const auto command = static_cast<Command>(i);
        EXPECT_EQ(parse_command(command_name(command)), command) << command_name(command);
    }
    EXPECT_EQ(command_name(Command::Send), "SEND");
    EXPECT_EQ(command_name(Command::Connected), "CONNECTED");
    EXPECT_EQ(command_name(Command::Unknown), "UNKNOWN");
}

TEST(Frame, UnknownCommands) {
    for (const char* text :
         {"", "send", "SENDX", "SEN", "CONNECTEDX", "UNKNOWN", " SEND", "A", "STOMP ", "\rSEND"}) {
        EXPECT_EQ(parse_command(text), Command::Unknown) << text;
    }
}

TEST(Frame, VersionNamesAndOrder) {
    EXPECT_EQ(version_name(Version::V1_0), "1.0");
    EXPECT_EQ(version_name(Version::V1_1), "1.1");
    EXPECT_EQ(version_name(Version::V1_2), "1.2");
    EXPECT_LT(Version::V1_0, Version::V1_2);
}

TEST(Frame, FirstHeaderWins) {
    Frame frame;
    frame.headers = {{"a", "1"}, {"b", "2"}, {"a", "3"}};
    EXPECT_EQ(frame.header("a"), "1");
    EXPECT_EQ(frame.header("b"), "2");
    EXPECT_FALSE(frame.header("c"));
    EXPECT_FALSE(frame.header("A"));
}

TEST(Error, FixedTexts) {
    EXPECT_EQ(error_message(ProtocolError::None), "");
    EXPECT_EQ(error_message(ProtocolError::FrameTooLarge), "max_frame_bytes exceeded");
    EXPECT_EQ(error_message(ProtocolError::TooManyHeaders), "max_headers exceeded");
    EXPECT_EQ(error_message(ProtocolError::HeaderLineTooLong), "max_header_line_bytes exceeded");
    EXPECT_EQ(error_message(ProtocolError::BadContentLength), "bad content-length");
    EXPECT_EQ(error_message(ProtocolError::MissingNul), "body not terminated by NUL");
    EXPECT_EQ(error_message(ProtocolError::MalformedHeader), "malformed header");
    EXPECT_EQ(error_message(ProtocolError::BadEscape), "invalid header escape");
    EXPECT_EQ(error_message(ProtocolError::BadCommandLine), "malformed frame");
}

}  // namespace
}  // namespace stampede::protocol
