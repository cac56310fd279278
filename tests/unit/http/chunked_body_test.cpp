// ChunkedBody: chunked request bodies, whole and split at every byte, with the limit.
#include "http/chunked_body.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::broker {
namespace {

constexpr std::string_view kBody =
    "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\n\r\n";

TEST(ChunkedBody, DecodesWholeAndAtEverySplit) {
    for (std::size_t split = 0; split <= kBody.size(); ++split) {
        ChunkedBody body(1024);
        std::string out;
        const auto first = body.feed(kBody.substr(0, split), out);
        if (split < kBody.size()) {
            EXPECT_EQ(first, ChunkedBody::Status::More) << split;
        }
        EXPECT_EQ(body.feed(kBody.substr(split), out), ChunkedBody::Status::Done) << split;
        EXPECT_EQ(out, "Wikipedia in \r\n\r\nchunks.") << split;
        EXPECT_FALSE(body.overflowed());
    }
}

TEST(ChunkedBody, TrailerFieldsAreSkipped) {
    ChunkedBody body(64);
    std::string out;
    EXPECT_EQ(body.feed("1\r\na\r\n0\r\nX-Checksum: 1\r\n\r\n", out), ChunkedBody::Status::Done);
    EXPECT_EQ(out, "a");
}

TEST(ChunkedBody, EmptyBody) {
    ChunkedBody body(64);
    std::string out;
    EXPECT_EQ(body.feed("0\r\n\r\n", out), ChunkedBody::Status::Done);
    EXPECT_TRUE(out.empty());
}

TEST(ChunkedBody, OverTheLimitIsReadToTheEndAndDropped) {
    ChunkedBody body(3);
    std::string out;
    EXPECT_EQ(body.feed("5\r\nabcde\r\n2\r\nfg\r\n0\r\n\r\n", out), ChunkedBody::Status::Done);
    EXPECT_EQ(out, "abc");
    EXPECT_TRUE(body.overflowed());
}

TEST(ChunkedBody, BrokenFraming) {
    for (const char* bad :
         {"x\r\n", "\r\n", "4\r\nWikiX", "4\n", "1\r\na\r\n0\r\nfoo\rx", "1234567890abcdef0\r\n"}) {
        ChunkedBody body(64);
        std::string out;
        EXPECT_EQ(body.feed(bad, out), ChunkedBody::Status::Broken) << bad;
    }
}

}  // namespace
}  // namespace stampede::broker
