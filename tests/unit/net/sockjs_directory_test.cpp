// SockjsDirectory: a session id's owner shard, claimed once, and the session limits.
#include "net/sockjs_directory.hpp"

#include <gtest/gtest.h>

namespace stampede::broker {
namespace {

TEST(SockjsDirectory, TheFirstClaimOwnsTheSession) {
    SockjsDirectory directory;
    const auto first = directory.claim("web/a", 1, "10.0.0.1", true, 0, 0);
    EXPECT_TRUE(first.created);
    EXPECT_EQ(first.owner, 1u);
    // A later request of the session, on another shard, finds the owner.
    const auto again = directory.claim("web/a", 0, "10.0.0.1", true, 0, 0);
    EXPECT_FALSE(again.created);
    EXPECT_EQ(again.owner, 1u);
    EXPECT_EQ(directory.owner("web/a"), 1u);
    EXPECT_EQ(directory.owner("web/b"), std::nullopt);
    EXPECT_EQ(directory.open(), 1u);
    directory.release("web/a");
    EXPECT_EQ(directory.owner("web/a"), std::nullopt);
    EXPECT_EQ(directory.open(), 0u);
}

TEST(SockjsDirectory, SessionsPerAddressAndPerNode) {
    SockjsDirectory directory;
    EXPECT_TRUE(directory.claim("s/1", 0, "10.0.0.1", true, 3, 2).created);
    EXPECT_TRUE(directory.claim("s/2", 0, "10.0.0.1", true, 3, 2).created);
    const auto third = directory.claim("s/3", 0, "10.0.0.1", true, 3, 2);
    EXPECT_FALSE(third.created);
    EXPECT_EQ(third.refusal, GateRefusal::AddressFull);
    EXPECT_EQ(directory.owner("s/3"), std::nullopt);
    // An existing session is never refused: its requests are not new sessions.
    EXPECT_EQ(directory.claim("s/1", 0, "10.0.0.1", true, 3, 2).refusal, GateRefusal::None);
    // A trusted proxy's address is not counted per address, only on the node.
    EXPECT_TRUE(directory.claim("s/4", 0, "10.0.0.9", false, 3, 2).created);
    EXPECT_EQ(directory.claim("s/5", 0, "10.0.0.2", true, 3, 2).refusal, GateRefusal::NodeFull);
    directory.release("s/1");
    EXPECT_TRUE(directory.claim("s/3", 0, "10.0.0.1", true, 3, 2).created);
}

}  // namespace
}  // namespace stampede::broker
