// Parser behaviour beyond the spec examples: heart-beats, content-length bodies, escaping per
// version, leniencies, stopping and resuming, buffer reuse.
#include "protocol/parser.hpp"

#include <gtest/gtest.h>

#include <string>

#include "parser_harness.hpp"

namespace stampede::protocol::testing {
namespace {

TEST(Parser, HeartBeatsAloneAreCountedOnePerEol) {
    const Outcome outcome = expect_split_invariant("\n\r\n\n\r\n\r\n");
    EXPECT_EQ(outcome.events, "HHHHH");
    EXPECT_EQ(outcome.buffered, 0U);
}

TEST(Parser, CarriageReturnSplitFromItsLineFeedIsStillOneHeartBeat) {
    FrameParser parser;
    RecordingSink sink;
    parser.feed(std::string_view("\r"), sink);
    EXPECT_EQ(sink.heartbeats, 0U);
    EXPECT_EQ(parser.buffered(), 1U);
    parser.feed(std::string_view("\n"), sink);
    EXPECT_EQ(sink.heartbeats, 1U);
    EXPECT_EQ(parser.buffered(), 0U);
}

TEST(Parser, BodyWithNulsIsReadByContentLength) {
    const std::string body("\0a\0\0b\0", 6);
    const std::string frame = "SEND\ndestination:/q\ncontent-length:6\n\n" + body + '\0';
    const Outcome outcome = expect_split_invariant(frame + frame);
    ASSERT_EQ(outcome.frames.size(), 2U) << outcome;
    EXPECT_EQ(outcome.frames[0].body, body);
    EXPECT_TRUE(outcome.frames[0].has_content_length);
    EXPECT_EQ(outcome.frames[1], outcome.frames[0]);
}

TEST(Parser, ZeroContentLengthAndEmptyBody) {
    const Outcome outcome = expect_split_invariant(wire("SEND\ncontent-length:0\n\n^@SEND\n\n^@"));
    ASSERT_EQ(outcome.frames.size(), 2U) << outcome;
    EXPECT_EQ(outcome.frames[0].body, "");
    EXPECT_TRUE(outcome.frames[0].has_content_length);
    EXPECT_FALSE(outcome.frames[1].has_content_length);
}

TEST(Parser, LeadingZerosInContentLengthAreDigits) {
    const Outcome outcome = feed_whole(wire("SEND\ncontent-length:0003\n\nabc^@"));
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].body, "abc");
}

TEST(Parser, FirstContentLengthWinsAndLaterOnesAreNotJudged) {
    const Outcome outcome =
        expect_split_invariant(wire("SEND\ncontent-length:2\ncontent-length:junk\n\na^@^@"));
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].body, std::string("a\0", 2));
    EXPECT_EQ(outcome.frames[0].headers.size(), 2U);
}

TEST(Parser, BodyWithoutContentLengthEndsAtFirstNul) {
    // What follows the first NUL is the next frame; here its command line holds a NUL.
    const Outcome outcome = feed_whole(wire("SEND\n\nab^@cd^@"));
    ASSERT_EQ(outcome.frames.size(), 1U);
    EXPECT_EQ(outcome.frames[0].body, "ab");
    EXPECT_EQ(outcome.error, ProtocolError::BadCommandLine);
}

TEST(Parser, UnknownCommandParsesWithItsText) {
    const Outcome outcome = expect_split_invariant(wire("FLY\nto:moon\n\n^@send\n\n^@"));
    ASSERT_EQ(outcome.frames.size(), 2U) << outcome;
    EXPECT_EQ(outcome.frames[0].command, Command::Unknown);
    EXPECT_EQ(outcome.frames[0].command_text, "FLY");
    EXPECT_EQ(outcome.frames[1].command, Command::Unknown);  // commands are case sensitive
    EXPECT_EQ(outcome.frames[1].command_text, "send");
}

TEST(Parser, ValueSplitsAtFirstColonAndKeepsTheRest) {
    const Outcome outcome = expect_split_invariant(wire("SEND\nurl:http://x:80/a\nempty:\n\n^@"));
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"url", "http://x:80/a"}, {"empty", ""}}));
}

TEST(Parser, SpacesAreNeverTrimmed) {
    const Outcome outcome = feed_whole(wire("SEND\n a : b \n\n^@"));
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].headers, (Pairs{{" a ", " b "}}));
}

TEST(Parser, LoneCarriageReturnInsideAValueIsKept) {
    const Outcome outcome = feed_whole(wire("SEND\na:x\ry\r\n\r\n^@"), Version::V1_1);
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"a", "x\ry"}}));
}

TEST(Parser, Version12UnescapesEveryDefinedSequence) {
    const Outcome outcome =
        expect_split_invariant(wire("SEND\nk\\cey:a\\nb\\rc\\cd\\\\e\n\n^@"), Version::V1_2);
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"k:ey", "a\nb\rc:d\\e"}}));
}

TEST(Parser, Version11HasNoCarriageReturnEscape) {
    const Outcome ok = feed_whole(wire("SEND\na:\\n\\c\\\\\n\n^@"), Version::V1_1);
    ASSERT_EQ(ok.frames.size(), 1U) << ok;
    EXPECT_EQ(ok.frames[0].headers, (Pairs{{"a", "\n:\\"}}));
    EXPECT_EQ(feed_whole(wire("SEND\na:\\r\n\n^@"), Version::V1_1).error, ProtocolError::BadEscape);
}

TEST(Parser, Version10TakesBackslashesLiterally) {
    const Outcome outcome = feed_whole(wire("SEND\na:\\c\\t\\\n\n^@"), Version::V1_0);
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"a", "\\c\\t\\"}}));
}

TEST(Parser, ConnectionFramesAreNeverUnescaped) {
    for (const char* command : {"CONNECT", "STOMP", "CONNECTED"}) {
        const std::string frame = wire(std::string(command) + "\npasscode:a\\b\\c\n\n^@");
        for (const Version version : {Version::V1_0, Version::V1_1, Version::V1_2}) {
            const Outcome outcome = feed_whole(frame, version);
            ASSERT_EQ(outcome.frames.size(), 1U) << command << outcome;
            EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"passcode", "a\\b\\c"}})) << command;
        }
    }
}

TEST(Parser, VersionSetInsideOnFrameAppliesToTheNextFrame) {
    FrameParser parser;
    RecordingSink sink;
    sink.on_frame_hook = [&](const Frame& frame) {
        if (frame.command == Command::Connect) {
            parser.set_version(Version::V1_0);
        }
        return true;
    };
    const std::string stream = wire("CONNECT\n\n^@SEND\na:\\t\n\n^@");
    EXPECT_EQ(parser.feed(stream, sink).error, ProtocolError::None);
    ASSERT_EQ(sink.frames.size(), 2U);
    EXPECT_EQ(sink.frames[1].headers, (Pairs{{"a", "\\t"}}));
}

TEST(Parser, StoppingKeepsTheRestForTheNextFeed) {
    FrameParser parser;
    RecordingSink sink;
    sink.on_frame_hook = [](const Frame& frame) { return frame.command != Command::Disconnect; };
    const std::string stream = wire("SEND\n\na^@DISCONNECT\n\n^@\nSEND\n\nb^@\nSE");
    const FeedResult first = parser.feed(stream, sink);
    EXPECT_TRUE(first.stopped);
    EXPECT_EQ(first.error, ProtocolError::None);
    EXPECT_EQ(sink.events, "FF");
    EXPECT_EQ(parser.buffered(), 12U);  // "\nSEND\n\nb^@\nSE"
    sink.on_frame_hook = nullptr;
    const FeedResult second = parser.feed(std::string_view(), sink);
    EXPECT_FALSE(second.stopped);
    EXPECT_EQ(sink.events, "FFHFH");
    EXPECT_EQ(sink.frames[2].body, "b");
    EXPECT_EQ(parser.buffered(), 2U);
}

TEST(Parser, ErrorsAreSticky) {
    FrameParser parser;
    RecordingSink sink;
    EXPECT_EQ(parser.feed(std::string_view("SEND\nbad\n"), sink).error,
              ProtocolError::MalformedHeader);
    EXPECT_EQ(parser.feed(wire("SEND\n\n^@"), sink).error, ProtocolError::MalformedHeader);
    EXPECT_TRUE(sink.frames.empty());
}

TEST(Parser, BufferedCountsThePartialFrame) {
    FrameParser parser;
    RecordingSink sink;
    parser.feed(wire("SEND\n\nx^@SEND\ndest"), sink);
    EXPECT_EQ(sink.frames.size(), 1U);
    EXPECT_EQ(parser.buffered(), 9U);
    parser.feed(wire("ination:/a\n\n^@"), sink);
    ASSERT_EQ(sink.frames.size(), 2U);
    EXPECT_EQ(sink.frames[1].headers, (Pairs{{"destination", "/a"}}));
    EXPECT_EQ(parser.buffered(), 0U);
}

TEST(Parser, LargeBodyAcrossManyFeeds) {
    const std::string body(3 * 1000 * 1000 + 7, 'z');
    const std::string frame = "SEND\ncontent-length:" + std::to_string(body.size()) + "\n\n" +
                              body + std::string(1, '\0');
    ParserLimits limits;
    limits.max_frame_bytes = 4 * 1000 * 1000;
    std::vector<std::size_t> cuts;
    for (std::size_t cut = 1000; cut < frame.size(); cut += 16384) {
        cuts.push_back(cut);
    }
    const Outcome with_length = feed_cut(frame, cuts, Version::V1_2, limits);
    ASSERT_EQ(with_length.frames.size(), 1U);
    EXPECT_EQ(with_length.frames[0].body, body);
    const std::string without = "SEND\n\n" + body + std::string(1, '\0');
    const Outcome by_nul = feed_cut(without, cuts, Version::V1_2, limits);
    ASSERT_EQ(by_nul.frames.size(), 1U);
    EXPECT_EQ(by_nul.frames[0].body, body);
}

TEST(Parser, FedBytesAreNotChangedAndNotNeededAfterTheFeed) {
    // Whole frames are parsed where they lie in the fed bytes: unescaping must not write into
    // them, and the partial frame at the end must be copied before feed() returns.
    FrameParser parser;
    RecordingSink sink;
    std::string chunk = wire("SEND\na\\cb:c\\nd\n\nx^@SEND\ndestination:/q");
    const std::string sent = chunk;
    parser.feed(chunk, sink);
    EXPECT_EQ(chunk, sent);
    chunk.assign(chunk.size(), '?');
    parser.feed(wire("ueue/a\n\ny^@"), sink);
    ASSERT_EQ(sink.frames.size(), 2U);
    EXPECT_EQ(sink.frames[0].headers, (Pairs{{"a:b", "c\nd"}}));
    EXPECT_EQ(sink.frames[1].headers, (Pairs{{"destination", "/queue/a"}}));
    EXPECT_EQ(sink.frames[1].body, "y");
}

TEST(Parser, FrameFinishedByALaterFeedIsJudgedOnThatFeedWhole) {
    // The parser completes a frame begun in an earlier feed from pieces of the next one. The
    // line limit is reached one byte before the frame limit here: judged on the whole feed, the
    // frame limit comes first, as when the frame arrives in one feed.
    ParserLimits limits;
    limits.max_frame_bytes = 1026;
    limits.max_header_line_bytes = 1019;
    const std::string stream = "SEND\na:" + std::string(2000, 'x');
    EXPECT_EQ(feed_whole(stream, Version::V1_2, limits).error, ProtocolError::FrameTooLarge);
    EXPECT_EQ(feed_cut(stream, {1}, Version::V1_2, limits).error, ProtocolError::FrameTooLarge);
}

TEST(Parser, ManySmallFramesInOneFeed) {
    std::string stream;
    for (int i = 0; i < 1000; ++i) {
        stream +=
            "SEND\ndestination:/topic/" + std::to_string(i) + "\n\n" + std::to_string(i) + '\0';
    }
    const Outcome outcome = feed_whole(stream);
    ASSERT_EQ(outcome.frames.size(), 1000U);
    EXPECT_EQ(outcome.frames[999].body, "999");
    EXPECT_EQ(outcome.frames[999].headers, (Pairs{{"destination", "/topic/999"}}));
}

TEST(Parser, CommandLineMayStartWithCarriageReturnNotFollowedByLineFeed) {
    // "\r" then "X" is no EOL, so it begins a frame whose command is unknown.
    const Outcome outcome = expect_split_invariant(wire("\rX\n\n^@"));
    ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
    EXPECT_EQ(outcome.frames[0].command_text, "\rX");
    EXPECT_EQ(outcome.events, "F");
}

}  // namespace
}  // namespace stampede::protocol::testing
