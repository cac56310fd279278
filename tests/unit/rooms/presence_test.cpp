// Presence: members are principals with a count of their subscriptions (three tabs are one
// member), the first subscription an enter and the last one gone a leave, counts, sorted
// snapshots with their change number, changes handed on in order under the lock, and the
// x-ephemeral rate windows.
#include "rooms/presence.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace stampede::rooms {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PresenceTest, ThreeTabsAreOneMemberAndTheLastOneOutIsTheLeave) {
    Presence p;
    int handed_on = 0;
    const auto count = [&](const PresenceChange&) { ++handed_on; };
    PresenceChange c = p.enter("/topic/r", "alice", "", count);
    EXPECT_TRUE(c.changed);
    EXPECT_EQ(c.count, 1U);
    EXPECT_FALSE(p.enter("/topic/r", "alice", "", count).changed);
    EXPECT_FALSE(p.enter("/topic/r", "alice", "", count).changed);
    c = p.enter("/topic/r", "bob", "", count);
    EXPECT_TRUE(c.changed);
    EXPECT_EQ(c.count, 2U);
    EXPECT_EQ(handed_on, 2);
    EXPECT_FALSE(p.leave("/topic/r", "alice", count).changed);
    EXPECT_FALSE(p.leave("/topic/r", "alice", count).changed);
    EXPECT_EQ(p.count("/topic/r"), 2U);
    c = p.leave("/topic/r", "alice", count);
    EXPECT_TRUE(c.changed);
    EXPECT_EQ(c.count, 1U);
    EXPECT_EQ(handed_on, 3);
    EXPECT_EQ(p.count("/topic/r"), 1U);
}

TEST(PresenceTest, RoomsAreSeparateAndUnknownLeavesChangeNothing) {
    Presence p;
    p.enter("/topic/a", "alice", "", nullptr);
    EXPECT_EQ(p.count("/topic/b"), 0U);
    EXPECT_FALSE(p.leave("/topic/b", "alice", nullptr).changed);
    EXPECT_FALSE(p.leave("/topic/a", "bob", nullptr).changed);
    EXPECT_EQ(p.count("/topic/a"), 1U);
    EXPECT_EQ(p.members(), 1U);
}

TEST(PresenceTest, SnapshotIsSortedWithInfoAndItsChangeNumber) {
    Presence p;
    std::vector<std::uint64_t> versions;
    const auto keep = [&](const PresenceChange& c) { versions.push_back(c.version); };
    p.enter("/topic/r", "carol", "", keep);
    p.enter("/topic/r", "alice", R"({"name":"Alice"})", keep);
    p.enter("/topic/other", "zed", "", keep);
    const PresenceSnapshot s = p.snapshot("/topic/r");
    EXPECT_THAT(s.users, ElementsAre("alice", "carol"));
    ASSERT_EQ(s.info.size(), 1U);
    EXPECT_EQ(s.info[0].first, "alice");
    EXPECT_EQ(s.info[0].second, R"({"name":"Alice"})");
    ASSERT_EQ(versions.size(), 3U);
    EXPECT_LT(versions[0], versions[1]);
    EXPECT_GE(s.version, versions[1]);  // every change of this room up to it is in it
    p.leave("/topic/r", "carol", keep);
    EXPECT_GT(versions.back(), s.version);  // a later change is not
    EXPECT_THAT(p.snapshot("/topic/none").users, IsEmpty());
}

TEST(PresenceTest, ConcurrentTabsCountOnce) {
    Presence p;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&p] {
            for (int i = 0; i < 1000; ++i) {
                p.enter("/topic/r", "alice", "", nullptr);
                p.leave("/topic/r", "alice", nullptr);
            }
            p.enter("/topic/r", "alice", "", nullptr);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(p.count("/topic/r"), 1U);
    for (int t = 0; t < 3; ++t) {
        EXPECT_FALSE(p.leave("/topic/r", "alice", nullptr).changed);
    }
    EXPECT_TRUE(p.leave("/topic/r", "alice", nullptr).changed);
}

TEST(PresenceTest, EphemeralRateIsPerSenderPerSecond) {
    Presence p;
    const std::int64_t t = 1'000'000;
    EXPECT_TRUE(p.allow_ephemeral("/topic/r", "alice", 2, t));
    EXPECT_TRUE(p.allow_ephemeral("/topic/r", "alice", 2, t + 10));
    EXPECT_FALSE(p.allow_ephemeral("/topic/r", "alice", 2, t + 20));
    EXPECT_TRUE(p.allow_ephemeral("/topic/r", "bob", 2, t + 20));
    EXPECT_TRUE(p.allow_ephemeral("/topic/r", "alice", 2, t + 1000));  // the next second
    EXPECT_TRUE(p.allow_ephemeral("/topic/r", "alice", 0, t + 1000));  // 0: no limit
    EXPECT_EQ(p.ephemeral_dropped(), 1U);
}

}  // namespace
}  // namespace stampede::rooms
