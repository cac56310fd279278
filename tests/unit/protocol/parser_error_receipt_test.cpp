// FrameParser::error_receipt: the receipt of a frame broken mid-way survives the error.
#include <gtest/gtest.h>

#include <string>

#include "protocol/parser.hpp"

namespace stampede::protocol {
namespace {

struct NullSink final : FrameSink {
    bool on_frame(const Frame&) override { return true; }
    void on_heartbeat() override {}
};

FeedResult feed(FrameParser& parser, const std::string& bytes) {
    NullSink sink;
    return parser.feed(std::span<const char>(bytes.data(), bytes.size()), sink);
}

TEST(ParserErrorReceiptTest, OversizedBodyKeepsTheReceipt) {
    FrameParser parser({64, 8, 100});
    parser.set_version(Version::V1_2);
    const auto result =
        feed(parser, "SEND\ndestination:/topic/a\nreceipt:big-1\n\n" + std::string(100, 'x'));
    EXPECT_EQ(result.error, ProtocolError::FrameTooLarge);
    ASSERT_TRUE(parser.error_receipt().has_value());
    EXPECT_EQ(*parser.error_receipt(), "big-1");
}

TEST(ParserErrorReceiptTest, EscapedReceiptIsUnescaped) {
    FrameParser parser({1024, 8, 100});
    parser.set_version(Version::V1_2);
    const auto result = feed(parser, "SEND\nreceipt:a\\cb\ncontent-length:x\n\n");
    EXPECT_EQ(result.error, ProtocolError::BadContentLength);
    ASSERT_TRUE(parser.error_receipt().has_value());
    EXPECT_EQ(*parser.error_receipt(), "a:b");
}

TEST(ParserErrorReceiptTest, NoReceiptWhenTheHeaderWasNotRead) {
    FrameParser parser({1024, 8, 20});
    const auto result = feed(parser, "SEND\nx-long:" + std::string(40, 'y'));
    EXPECT_EQ(result.error, ProtocolError::HeaderLineTooLong);
    EXPECT_FALSE(parser.error_receipt().has_value());
}

}  // namespace
}  // namespace stampede::protocol
