// Members: a membership starts at the room's latest number, cursors only move forward and
// never past the latest, leave ends a membership, and unread is latest - read_seq.
#include "rooms/members.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace stampede::rooms {
namespace {

TEST(MembersTest, AMembershipStartsAtTheLatestNumberAndJoiningTwiceKeepsTheCursor) {
    Members m;
    EXPECT_FALSE(m.read_seq("alice", "/topic/r").has_value());
    EXPECT_TRUE(m.join("alice", "/topic/r", 7));
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 7U);
    EXPECT_FALSE(m.join("alice", "/topic/r", 12));  // a second tab changes nothing
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 7U);
    EXPECT_EQ(Members::unread(7, 12), 5U);
    EXPECT_EQ(m.memberships(), 1U);
}

TEST(MembersTest, CursorsAreMonotonicAndCappedAtTheLatest) {
    Members m;
    m.join("alice", "/topic/r", 2);
    EXPECT_EQ(m.mark_read("alice", "/topic/r", 5, 10), MarkResult::Moved);
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 5U);
    EXPECT_EQ(m.mark_read("alice", "/topic/r", 3, 10), MarkResult::Unchanged);
    EXPECT_EQ(m.mark_read("alice", "/topic/r", 5, 10), MarkResult::Unchanged);
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 5U);
    EXPECT_EQ(m.mark_read("alice", "/topic/r", 99, 10), MarkResult::Moved);
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 10U);
    EXPECT_EQ(Members::unread(10, 10), 0U);
}

TEST(MembersTest, OnlyMembersHaveCursors) {
    Members m;
    EXPECT_EQ(m.mark_read("bob", "/topic/r", 1, 10), MarkResult::NotMember);
    m.join("bob", "/topic/other", 0);
    EXPECT_EQ(m.mark_read("bob", "/topic/r", 1, 10), MarkResult::NotMember);
    EXPECT_FALSE(m.read_seq("bob", "/topic/r").has_value());
}

TEST(MembersTest, OwnMessageAdvancesTheCursorToItsNumber) {
    // The publish path marks the sender's own message read with latest = its seq.
    Members m;
    m.join("alice", "/topic/r", 3);
    EXPECT_EQ(m.mark_read("alice", "/topic/r", 4, 4), MarkResult::Moved);
    EXPECT_EQ(Members::unread(*m.read_seq("alice", "/topic/r"), 4), 0U);
}

TEST(MembersTest, LeaveEndsTheMembershipAndRoomsOfListsTheRest) {
    Members m;
    m.join("alice", "/topic/b", 1);
    m.join("alice", "/topic/a", 2);
    m.join("bob", "/topic/a", 0);
    const auto rooms = m.rooms_of("alice");
    ASSERT_EQ(rooms.size(), 2U);
    EXPECT_EQ(rooms[0].first, "/topic/a");
    EXPECT_EQ(rooms[0].second, 2U);
    EXPECT_EQ(rooms[1].first, "/topic/b");
    EXPECT_TRUE(m.leave("alice", "/topic/a"));
    EXPECT_FALSE(m.leave("alice", "/topic/a"));
    EXPECT_EQ(m.rooms_of("alice").size(), 1U);
    EXPECT_TRUE(m.leave("alice", "/topic/b"));
    EXPECT_TRUE(m.rooms_of("alice").empty());
    EXPECT_EQ(m.memberships(), 1U);               // bob's
    EXPECT_TRUE(m.join("alice", "/topic/a", 9));  // a new membership starts at the latest
    EXPECT_EQ(m.read_seq("alice", "/topic/a"), 9U);
}

TEST(MembersTest, ConcurrentMarksKeepTheHighest) {
    Members m;
    m.join("alice", "/topic/r", 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&m, t] {
            for (std::uint64_t n = 1; n <= 1000; ++n) {
                m.mark_read("alice", "/topic/r", n * 4 + static_cast<std::uint64_t>(t), 100000);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(m.read_seq("alice", "/topic/r"), 4003U);
}

}  // namespace
}  // namespace stampede::rooms
