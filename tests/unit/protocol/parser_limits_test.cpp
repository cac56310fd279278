// Every parser error, each limit exactly at and one over its value, and detection while the
// frame is still incomplete (a peer must not be able to make us wait for a NUL to refuse it).
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "parser_harness.hpp"

namespace stampede::protocol::testing {
namespace {

ParserLimits frame_limit(std::size_t bytes) {
    ParserLimits limits;
    limits.max_frame_bytes = bytes;
    return limits;
}

ParserLimits header_limit(std::size_t count) {
    ParserLimits limits;
    limits.max_headers = count;
    return limits;
}

ParserLimits line_limit(std::size_t bytes) {
    ParserLimits limits;
    limits.max_header_line_bytes = bytes;
    return limits;
}

// Feeds `partial` to a fresh parser and returns the error of that single feed.
ProtocolError error_after(std::string_view partial, ParserLimits limits = {},
                          Version version = Version::V1_2) {
    FrameParser parser(limits);
    parser.set_version(version);
    RecordingSink sink;
    const ProtocolError error = parser.feed(partial, sink).error;
    EXPECT_TRUE(sink.frames.empty());
    return error;
}

TEST(ParserLimits, FrameExactlyAtLimitPassesOneOverFails) {
    const std::string by_nul = wire("SEND\n\nabc^@");  // 10 bytes, command through NUL
    ASSERT_EQ(by_nul.size(), 10U);
    EXPECT_EQ(expect_split_invariant(by_nul, Version::V1_2, frame_limit(10)).frames.size(), 1U);
    EXPECT_EQ(expect_split_invariant(by_nul, Version::V1_2, frame_limit(9)).error,
              ProtocolError::FrameTooLarge);

    const std::string by_length = wire("SEND\ncontent-length:3\n\nabc^@");
    const std::size_t size = by_length.size();
    EXPECT_EQ(expect_split_invariant(by_length, Version::V1_2, frame_limit(size)).frames.size(),
              1U);
    EXPECT_EQ(expect_split_invariant(by_length, Version::V1_2, frame_limit(size - 1)).error,
              ProtocolError::FrameTooLarge);
}

TEST(ParserLimits, FrameLimitIsPerFrameAndHeartBeatsDoNotCount) {
    const std::string frame = wire("SEND\n\nabc^@");
    const Outcome outcome = expect_split_invariant("\n\n" + frame + "\r\n" + frame + frame,
                                                   Version::V1_2, frame_limit(10));
    EXPECT_EQ(outcome.error, ProtocolError::None);
    EXPECT_EQ(outcome.events, "HHFHFF");
}

TEST(ParserLimits, OversizedBodyFailsBeforeItsNulArrives) {
    // Limit 100: 99 bytes without a NUL may still end at byte 100; at 100 bytes it cannot.
    const std::string head = "SEND\n\n";
    EXPECT_EQ(error_after(head + std::string(93, 'x'), frame_limit(100)), ProtocolError::None);
    EXPECT_EQ(error_after(head + std::string(94, 'x'), frame_limit(100)),
              ProtocolError::FrameTooLarge);
    EXPECT_EQ(error_after(head + std::string(5000, 'x'), frame_limit(100)),
              ProtocolError::FrameTooLarge);
}

TEST(ParserLimits, DeclaredContentLengthTooLargeFailsAtTheBlankLine) {
    const std::string head = "SEND\ncontent-length:1000\n\n";
    EXPECT_EQ(error_after(head, frame_limit(1000)), ProtocolError::FrameTooLarge);
    EXPECT_EQ(error_after(head, frame_limit(head.size() + 1000 + 1)), ProtocolError::None);
    EXPECT_EQ(error_after(head, frame_limit(head.size() + 1000)), ProtocolError::FrameTooLarge);
    EXPECT_EQ(error_after("SEND\ncontent-length:18446744073709551615\n\n"),
              ProtocolError::FrameTooLarge);
}

TEST(ParserLimits, OversizedHeaderSectionFailsBeforeItEnds) {
    EXPECT_EQ(error_after("SEND\nheader:" + std::string(50, 'v'), frame_limit(40)),
              ProtocolError::FrameTooLarge);
    EXPECT_EQ(error_after(std::string(50, 'C'), frame_limit(40)), ProtocolError::FrameTooLarge);
    // The blank line as the frame's last allowed byte leaves no room for the NUL.
    EXPECT_EQ(error_after("SEND\n\n", frame_limit(6)), ProtocolError::FrameTooLarge);
    EXPECT_EQ(error_after("SEND\n\n", frame_limit(7)), ProtocolError::None);
}

TEST(ParserLimits, HeaderCountExactlyAtLimitPassesOneOverFails) {
    const std::string three = wire("SEND\na:1\nb:2\nc:3\n\n^@");
    const std::string four = wire("SEND\na:1\nb:2\nc:3\nd:4\n\n^@");
    EXPECT_EQ(expect_split_invariant(three, Version::V1_2, header_limit(3)).frames.size(), 1U);
    EXPECT_EQ(expect_split_invariant(four, Version::V1_2, header_limit(3)).error,
              ProtocolError::TooManyHeaders);
    EXPECT_EQ(error_after("SEND\na:1\nb:2\nc:3\nd:4\n", header_limit(3)),
              ProtocolError::TooManyHeaders);
    // The count restarts with every frame.
    EXPECT_EQ(expect_split_invariant(three + three, Version::V1_2, header_limit(3)).frames.size(),
              2U);
}

TEST(ParserLimits, HeaderLineExactlyAtLimitPassesOneOverFails) {
    const std::string ten = "a:" + std::string(8, 'v');
    const std::string eleven = ten + "v";
    for (const char* eol : {"\n", "\r\n"}) {
        const std::string ok = wire("SEND\n" + ten + eol + eol + "^@");
        const Outcome outcome = expect_split_invariant(ok, Version::V1_2, line_limit(10));
        ASSERT_EQ(outcome.frames.size(), 1U) << outcome;
        EXPECT_EQ(outcome.frames[0].headers, (Pairs{{"a", std::string(8, 'v')}}));
        const std::string bad = wire("SEND\n" + eleven + eol + eol + "^@");
        EXPECT_EQ(expect_split_invariant(bad, Version::V1_2, line_limit(10)).error,
                  ProtocolError::HeaderLineTooLong);
    }
}

TEST(ParserLimits, HeaderLineTooLongIsDetectedWhileIncomplete) {
    const std::string ten = "a:" + std::string(8, 'v');
    EXPECT_EQ(error_after("SEND\n" + ten, line_limit(10)), ProtocolError::None);
    EXPECT_EQ(error_after("SEND\n" + ten + "v", line_limit(10)), ProtocolError::HeaderLineTooLong);
    // A trailing CR may be the first half of CRLF: not judged yet.
    EXPECT_EQ(error_after("SEND\n" + ten + "\r", line_limit(10)), ProtocolError::None);
    EXPECT_EQ(error_after("SEND\n" + ten + "\rv", line_limit(10)),
              ProtocolError::HeaderLineTooLong);
    EXPECT_EQ(error_after("SEND\n" + std::string(100000, 'a'), line_limit(10)),
              ProtocolError::HeaderLineTooLong);
}

TEST(ParserLimits, CommandLineLongerThanLineLimitIsMalformedFrame) {
    const Outcome ok =
        expect_split_invariant(wire("ABCDEFGHIJ\n\n^@"), Version::V1_2, line_limit(10));
    ASSERT_EQ(ok.frames.size(), 1U) << ok;
    EXPECT_EQ(ok.frames[0].command, Command::Unknown);
    EXPECT_EQ(
        expect_split_invariant(wire("ABCDEFGHIJK\n\n^@"), Version::V1_2, line_limit(10)).error,
        ProtocolError::BadCommandLine);
    EXPECT_EQ(error_after("ABCDEFGHIJK", line_limit(10)), ProtocolError::BadCommandLine);
    EXPECT_EQ(error_after("ABCDEFGHIJ\r", line_limit(10)), ProtocolError::None);
}

TEST(ParserErrors, BadContentLengthValues) {
    for (const char* value : {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.5", "١",
                              "18446744073709551616", "99999999999999999999999"}) {
        const std::string frame = wire(std::string("SEND\ncontent-length:") + value + "\n\n^@");
        EXPECT_EQ(expect_split_invariant(frame).error, ProtocolError::BadContentLength)
            << "'" << value << "'";
    }
}

TEST(ParserErrors, ContentLengthIsJudgedAfterUnescaping) {
    EXPECT_EQ(feed_whole(wire("SEND\ncontent-length:1\\c2\n\n^@")).error,
              ProtocolError::BadContentLength);
}

TEST(ParserErrors, MissingNulAfterContentLengthBody) {
    EXPECT_EQ(expect_split_invariant(wire("SEND\ncontent-length:3\n\nabcd^@")).error,
              ProtocolError::MissingNul);
    FrameParser parser;
    RecordingSink sink;
    EXPECT_EQ(parser.feed(std::string_view("SEND\ncontent-length:3\n\nabc"), sink).error,
              ProtocolError::None);
    EXPECT_EQ(parser.feed(std::string_view("d"), sink).error, ProtocolError::MissingNul);
}

TEST(ParserErrors, MalformedHeaders) {
    EXPECT_EQ(expect_split_invariant(wire("SEND\nnocolon\n\n^@")).error,
              ProtocolError::MalformedHeader);
    EXPECT_EQ(expect_split_invariant(wire("SEND\n:value\n\n^@")).error,
              ProtocolError::MalformedHeader);
    EXPECT_EQ(expect_split_invariant(wire("SEND\na:1\n \n\n^@")).error,
              ProtocolError::MalformedHeader);
    // A NUL inside a header line fails at once, before any EOL.
    EXPECT_EQ(error_after(wire("SEND\na:b^@c")), ProtocolError::MalformedHeader);
}

TEST(ParserErrors, NulWhereAHeaderLineStartsEndsTheFrameUnlessALengthWasDeclared) {
    const Outcome ok = expect_split_invariant(wire("SEND\ncontent-length:0\n^@"));
    ASSERT_EQ(ok.frames.size(), 1U) << ok;
    EXPECT_EQ(ok.frames[0].body, "");
    EXPECT_EQ(expect_split_invariant(wire("SEND\ncontent-length:5\n^@")).error,
              ProtocolError::BadContentLength);
}

TEST(ParserErrors, UndefinedEscapes) {
    for (const char* header : {"a:\\t", "a:x\\", "a\\x:b", "a:\\C", "a:\\0"}) {
        const std::string frame = wire(std::string("SEND\n") + header + "\n\n^@");
        EXPECT_EQ(expect_split_invariant(frame, Version::V1_2).error, ProtocolError::BadEscape)
            << header;
        EXPECT_EQ(expect_split_invariant(frame, Version::V1_1).error, ProtocolError::BadEscape)
            << header;
        EXPECT_EQ(feed_whole(frame, Version::V1_0).error, ProtocolError::None) << header;
    }
}

TEST(ParserErrors, NulInCommandLineIsMalformedFrame) {
    EXPECT_EQ(expect_split_invariant(wire("SE^@ND\n\n^@")).error, ProtocolError::BadCommandLine);
    EXPECT_EQ(error_after(wire("SE^@")), ProtocolError::BadCommandLine);
    EXPECT_EQ(error_after(wire("^@")), ProtocolError::BadCommandLine);
}

TEST(ParserErrors, HeadersAndCommandsMustBeUtf8) {
    // A lone continuation byte, an overlong '/', a surrogate, a truncated sequence at the end.
    for (const char* bad : {"\x80", "\xC0\xAF", "\xED\xA0\x80", "ab\xE2\x82"}) {
        const std::string value = wire(std::string("SEND\na:1\nb:") + bad + "\n\n^@");
        const Outcome in_value = expect_split_invariant(value);
        EXPECT_EQ(in_value.error, ProtocolError::InvalidUtf8) << bad;
        const std::string name = wire(std::string("SEND\n") + bad + ":x\n\n^@");
        EXPECT_EQ(expect_split_invariant(name).error, ProtocolError::InvalidUtf8) << bad;
        EXPECT_EQ(expect_split_invariant(wire(std::string("SE") + bad + "ND\n\n^@")).error,
                  ProtocolError::InvalidUtf8)
            << bad;
    }
    // Every version, CONNECT included (its headers are not unescaped, but still text).
    EXPECT_EQ(feed_whole(wire("CONNECT\nlogin:\xFF\n\n^@"), Version::V1_0).error,
              ProtocolError::InvalidUtf8);
    // Valid multi-byte text passes; a body need not be text.
    const Outcome ok =
        expect_split_invariant(wire("SEND\nr\xC3\xA9sum\xC3\xA9:\xF0\x9F\x98\x80"
                                    "\n\n\xFF\xFE^@"));
    ASSERT_EQ(ok.frames.size(), 1U) << ok;
    EXPECT_EQ(ok.frames[0].body, "\xFF\xFE");
    EXPECT_EQ(error_message(ProtocolError::InvalidUtf8), "malformed frame");
}

TEST(ParserErrors, Utf8ErrorNamesTheHeader) {
    FrameParser parser;
    RecordingSink sink;
    EXPECT_EQ(parser.feed(wire("SEND\ndestination:/topic/a\nreceipt:7\nx:\xFF\n\n^@"), sink).error,
              ProtocolError::InvalidUtf8);
    EXPECT_EQ(parser.error_detail(), "header 3 (counting from 1) is not valid UTF-8");
    EXPECT_EQ(parser.error_receipt(), "7");
    FrameParser command_parser;
    EXPECT_EQ(command_parser.feed(wire("\xFESEND\n\n^@"), sink).error, ProtocolError::InvalidUtf8);
    EXPECT_EQ(command_parser.error_detail(), "the command is not valid UTF-8");
}

TEST(ParserErrors, FramesBeforeTheErrorAreDelivered) {
    const Outcome outcome =
        expect_split_invariant(wire("SEND\n\na^@\nSEND\nbroken\n\n^@SEND\n\nb^@"));
    EXPECT_EQ(outcome.error, ProtocolError::MalformedHeader);
    EXPECT_EQ(outcome.events, "FH");
}

TEST(ParserErrors, ErrorKeepsTheReceiptOfTheFrameItInterrupted) {
    const auto receipt_after = [](std::string_view stream, ParserLimits limits = {}) {
        FrameParser parser(limits);
        RecordingSink sink;
        EXPECT_NE(parser.feed(stream, sink).error, ProtocolError::None);
        return parser.error_receipt();
    };
    // The declared body is too large: known at the blank line, the receipt was read before.
    EXPECT_EQ(receipt_after("SEND\nreceipt:big-1\nreceipt:second\ncontent-length:5000\n\n",
                            frame_limit(4096)),
              "big-1");
    EXPECT_EQ(receipt_after("SEND\nreceipt:r\\c1\nbad\n"), "r:1");  // unescaped like any value
    EXPECT_EQ(receipt_after(wire("SEND\nreceipt:r2\ncontent-length:1\n\nab^@")), "r2");
    EXPECT_EQ(receipt_after("SEND\nbad\nreceipt:late\n"), std::nullopt);
    EXPECT_EQ(receipt_after(std::string(50, 'C'), frame_limit(40)), std::nullopt);
    // A receipt from an earlier, complete frame does not leak into a later error.
    EXPECT_EQ(receipt_after(wire("SEND\nreceipt:old\n\n^@SEND\nbad\n")), std::nullopt);
}

}  // namespace
}  // namespace stampede::protocol::testing
