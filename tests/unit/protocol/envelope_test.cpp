// The relay envelope: round trips, and refusal of what is not one.
#include "protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace stampede::protocol {
namespace {

TEST(EnvelopeTest, EnvelopeRoundTrip) {
    const std::string body("bin\0ary\nbody", 12);
    const auto message = Message::make("/topic/room.1", "node-a/0-7", "node-a", "alice",
                                       std::vector<std::pair<std::string, std::string>>{
                                           {"content-type", "text/plain"}, {"x-colon", "a:b\nc"}},
                                       body);
    const auto decoded = decode_envelope(encode_envelope(*message));
    ASSERT_NE(decoded, nullptr);
    EXPECT_EQ(decoded->destination, "/topic/room.1");
    EXPECT_EQ(decoded->id, "node-a/0-7");
    EXPECT_EQ(decoded->origin_node, "node-a");
    EXPECT_EQ(decoded->sender, "alice");
    EXPECT_EQ(decoded->body, body);
    EXPECT_EQ(decoded->headers, message->headers);
    EXPECT_EQ(decoded->encoded_headers, message->encoded_headers);
}

TEST(EnvelopeTest, BrokenEnvelopesAreRefused) {
    EXPECT_EQ(decode_envelope("garbage"), nullptr);
    EXPECT_EQ(decode_envelope(std::string("SEND\ndestination:/topic/a\n\nx\0", 27)), nullptr);
    EXPECT_EQ(decode_envelope(std::string("MESSAGE\ndestination:/topic/a\n\nx\0", 30)), nullptr);
}

}  // namespace
}  // namespace stampede::protocol
