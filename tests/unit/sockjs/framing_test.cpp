// SockJS framing: the frames the server writes, the escapes the protocol asks for, and what
// the decoder accepts and refuses.
#include "sockjs/framing.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::sockjs {
namespace {

std::string message_frame(std::string_view text) {
    std::string out;
    append_message_frame(out, text);
    return out;
}

TEST(SockjsFraming, MessageFrameCarriesStompBytesWithNulEscaped) {
    const std::string frame("SEND\ndestination:/topic/a\n\nhi\0", 30);
    EXPECT_EQ(message_frame(frame),
              "a[\"SEND\\u000adestination:/topic/a\\u000a\\u000ahi\\u0000\"]");
}

TEST(SockjsFraming, QuoteAndBackslashAreEscaped) {
    EXPECT_EQ(message_frame("say \"x\\y\""), "a[\"say \\\"x\\\\y\\\"\"]");
}

TEST(SockjsFraming, CharactersTheServerMustEscape) {
    // U+2028 (line separator), U+200C, U+2060, U+FFF0 and U+FFFF, in UTF-8.
    EXPECT_EQ(message_frame("\xe2\x80\xa8"), "a[\"\\u2028\"]");
    EXPECT_EQ(message_frame("\xe2\x80\x8c"), "a[\"\\u200c\"]");
    EXPECT_EQ(message_frame("\xe2\x81\xa0"), "a[\"\\u2060\"]");
    EXPECT_EQ(message_frame("\xef\xbf\xb0\xef\xbf\xbf"), "a[\"\\ufff0\\uffff\"]");
}

TEST(SockjsFraming, OtherUtf8PassesVerbatim) {
    EXPECT_EQ(message_frame("caf\xc3\xa9 \xf0\x9f\x98\x80"), "a[\"caf\xc3\xa9 \xf0\x9f\x98\x80\"]");
}

TEST(SockjsFraming, InvalidUtf8BecomesReplacementCharacter) {
    EXPECT_EQ(message_frame("a\xff"
                            "b"),
              "a[\"a\\ufffdb\"]");
    EXPECT_EQ(message_frame("\xc3"), "a[\"\\ufffd\"]");                        // truncated sequence
    EXPECT_EQ(message_frame("\xed\xa0\x80"), "a[\"\\ufffd\\ufffd\\ufffd\"]");  // surrogate
    EXPECT_EQ(message_frame("\xc0\xaf"), "a[\"\\ufffd\\ufffd\"]");             // overlong
}

TEST(SockjsFraming, CloseFrame) {
    std::string out;
    append_close_frame(out, kGoAway, "Go away!");
    EXPECT_EQ(out, "c[3000,\"Go away!\"]");
    out.clear();
    append_close_frame(out, kAnotherConnection, "Another connection still open");
    EXPECT_EQ(out, "c[2010,\"Another connection still open\"]");
}

TEST(SockjsDecode, ArrayOfStringsIsConcatenated) {
    std::string out;
    ASSERT_EQ(decode_messages(R"(["CONNECT\n\n\u0000", "x"])", false, out), DecodeResult::Ok);
    EXPECT_EQ(out, std::string("CONNECT\n\n\0x", 11));
}

TEST(SockjsDecode, EmptyArrayIsOkAndEmptyPayloadIsNot) {
    std::string out;
    EXPECT_EQ(decode_messages("[]", false, out), DecodeResult::Ok);
    EXPECT_EQ(decode_messages("", false, out), DecodeResult::Empty);
    EXPECT_TRUE(out.empty());
}

TEST(SockjsDecode, BrokenJsonIsRefused) {
    for (const char* bad : {"[\"a", "[\"a\"] x", "[1]", "{\"a\":\"b\"}", "[[\"a\"]]", "null",
                            "[\"\\ud800\"]", "[\"\\udc00\"]", "\"a\""}) {
        std::string out;
        EXPECT_EQ(decode_messages(bad, false, out), DecodeResult::Broken) << bad;
    }
    std::string out;
    EXPECT_EQ(decode_messages("[\"\xff\"]", false, out), DecodeResult::Broken);
}

TEST(SockjsDecode, SingleStringOnlyWhenAllowed) {
    std::string out;
    EXPECT_EQ(decode_messages("\"a\"", true, out), DecodeResult::Ok);
    EXPECT_EQ(out, "a");
}

TEST(SockjsDecode, DeepNestingCostsNoStack) {
    std::string deep(200000, '[');
    std::string out;
    EXPECT_EQ(decode_messages(deep, false, out), DecodeResult::Broken);
}

TEST(SockjsRoundTrip, WhatTheServerWritesTheDecoderReadsBack) {
    std::string text;
    for (int c = 0; c < 0x80; ++c) {
        text += static_cast<char>(c);
    }
    text += "\xe2\x80\xa8\xef\xbf\xbf\xf0\x9f\x98\x80";
    std::string frame = message_frame(text);
    ASSERT_EQ(frame.substr(0, 1), "a");
    std::string out;
    ASSERT_EQ(decode_messages(std::string_view(frame).substr(1), false, out), DecodeResult::Ok);
    EXPECT_EQ(out, text);
}

}  // namespace
}  // namespace stampede::sockjs
