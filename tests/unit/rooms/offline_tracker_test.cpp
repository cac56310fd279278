// OfflineTracker, the offline hook's debounce (rooms/offline_tracker.hpp) with the real
// Members: who is reported for a room message and when. Times are passed in, so each case
// states exactly where in the debounce window it stands.
#include "rooms/offline_tracker.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::rooms {
namespace {

constexpr std::int64_t kDebounce = 5000;
constexpr const char* kRoom = "/topic/room.42";

using Users = std::vector<std::string>;

class OfflineTrackerTest : public ::testing::Test {
   protected:
    void SetUp() override { tracker.enable(kDebounce, 100, 3); }

    void member(const std::string& who, const char* room = kRoom) { members.join(who, room, 0); }
    void message(std::uint64_t seq, const std::string& sender, std::int64_t now,
                 const char* room = kRoom) {
        tracker.message(room, seq, sender, "preview " + std::to_string(seq), members, now);
    }

    OfflineTracker tracker;
    Members members;
};

TEST_F(OfflineTrackerTest, OnlineMembersAndTheSenderAreNotReported) {
    member("alice");
    member("bob");
    member("carol");
    tracker.session_opened("alice", 0);
    tracker.session_opened("bob", 0);
    tracker.session_opened("carol", 0);
    tracker.session_closed("carol", 0);
    message(1, "alice", 10000);  // carol's window ended at 5000
    const auto ready = tracker.take_ready(10000);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0], (HookRecord{kRoom, 1, {"carol"}, "preview 1"}));
    // The sender is never reported for its own message, online or not.
    tracker.session_closed("alice", 10000);
    message(2, "alice", 20000);
    const auto next = tracker.take_ready(20000);
    ASSERT_EQ(next.size(), 1U);
    EXPECT_EQ(next[0].users, (Users{"carol"}));
    EXPECT_EQ(tracker.reported(), 2U);
}

TEST_F(OfflineTrackerTest, AMemberWithoutASessionHereIsOfflineAtOnce) {
    member("bob");
    member("dave");  // never connected since the node started
    message(1, "", 0);
    const auto ready = tracker.take_ready(0);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].users, (Users{"bob", "dave"}));
}

TEST_F(OfflineTrackerTest, ABlipWithinTheWindowIsNoPush) {
    member("bob");
    tracker.session_opened("bob", 0);
    tracker.session_closed("bob", 1000);  // window until 6000
    message(1, "alice", 2000);
    EXPECT_TRUE(tracker.take_ready(2000).empty());  // waits with bob
    EXPECT_EQ(tracker.next_window_end(), 6000);
    tracker.session_opened("bob", 3000);  // back after two seconds
    EXPECT_TRUE(tracker.take_ready(100000).empty());
    EXPECT_EQ(tracker.returned(), 1U);
    EXPECT_EQ(tracker.reported(), 0U);
}

TEST_F(OfflineTrackerTest, WhatArrivedInTheWindowIsReportedWhenItEnds) {
    member("bob");
    member("carol");
    tracker.session_opened("bob", 0);
    tracker.session_opened("carol", 0);
    tracker.session_closed("bob", 1000);    // until 6000
    tracker.session_closed("carol", 1500);  // until 6500
    message(1, "alice", 2000);
    message(2, "alice", 3000);
    EXPECT_TRUE(tracker.take_ready(5999).empty());
    // Bob's window ended: his two messages, one record each, naming him alone.
    const auto bob = tracker.take_ready(6000);
    ASSERT_EQ(bob.size(), 2U);
    EXPECT_EQ(bob[0], (HookRecord{kRoom, 1, {"bob"}, "preview 1"}));
    EXPECT_EQ(bob[1], (HookRecord{kRoom, 2, {"bob"}, "preview 2"}));
    // From now on bob is offline: a new message names him at once, carol still waits.
    message(3, "alice", 6100);
    const auto now = tracker.take_ready(6100);
    ASSERT_EQ(now.size(), 1U);
    EXPECT_EQ(now[0], (HookRecord{kRoom, 3, {"bob"}, "preview 3"}));
    const auto carol = tracker.take_ready(7000);
    ASSERT_EQ(carol.size(), 3U);
    for (const HookRecord& record : carol) {
        EXPECT_EQ(record.users, (Users{"carol"}));
    }
}

TEST_F(OfflineTrackerTest, WindowsEndingTogetherShareARecord) {
    member("bob");
    member("carol");
    for (const char* who : {"bob", "carol"}) {
        tracker.session_opened(who, 0);
        tracker.session_closed(who, 1000);
    }
    message(1, "", 2000);
    const auto ready = tracker.take_ready(6000);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].users, (Users{"bob", "carol"}));
}

TEST_F(OfflineTrackerTest, LeavingAgainStartsANewWindow) {
    member("bob");
    tracker.session_opened("bob", 0);
    tracker.session_closed("bob", 1000);  // until 6000
    tracker.session_opened("bob", 2000);
    tracker.session_closed("bob", 4000);  // until 9000: the first window no longer counts
    message(1, "", 5000);
    EXPECT_TRUE(tracker.take_ready(8999).empty());
    EXPECT_EQ(tracker.take_ready(9000).size(), 1U);
}

TEST_F(OfflineTrackerTest, SeveralSessionsAreOneMember) {
    member("bob");
    tracker.session_opened("bob", 0);
    tracker.session_opened("bob", 0);
    tracker.session_closed("bob", 1000);  // one tab left open
    message(1, "", 20000);
    EXPECT_TRUE(tracker.take_ready(20000).empty());
    tracker.session_closed("bob", 20000);
    message(2, "", 30000);
    EXPECT_EQ(tracker.take_ready(30000).size(), 1U);
}

TEST_F(OfflineTrackerTest, AWindowThatEndedBeforeTheReturnStillReports) {
    member("bob");
    tracker.session_opened("bob", 0);
    tracker.session_closed("bob", 1000);  // until 6000
    message(1, "", 2000);
    // Bob comes back at 7000, before the webhook thread looked: he was offline from 6000.
    tracker.session_opened("bob", 7000);
    const auto ready = tracker.take_ready(7000);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].users, (Users{"bob"}));
}

TEST_F(OfflineTrackerTest, OnlyTheRoomsMembersCount) {
    member("bob", "/topic/room.other");
    member("carol");
    message(1, "", 0);
    const auto ready = tracker.take_ready(0);
    ASSERT_EQ(ready.size(), 1U);
    EXPECT_EQ(ready[0].users, (Users{"carol"}));
    members.leave("carol", kRoom);
    message(2, "", 0);
    EXPECT_TRUE(tracker.take_ready(0).empty());
}

TEST_F(OfflineTrackerTest, QueuesAreBoundedAndDropsCounted) {
    OfflineTracker small;
    small.enable(kDebounce, 2, 3);
    member("bob");
    member("carol");
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        small.message(kRoom, seq, "", "", members, 0);
    }
    EXPECT_EQ(small.take_ready(0, 1).size(), 1U);  // at most what was asked for
    EXPECT_EQ(small.take_ready(0).size(), 1U);
    EXPECT_EQ(small.reported(), 2U);
    EXPECT_EQ(small.dropped(), 3U);
    // A member in its window keeps at most max_pending messages.
    small.session_opened("bob", 0);
    small.session_opened("carol", 0);
    small.session_closed("bob", 0);
    for (std::uint64_t seq = 6; seq <= 10; ++seq) {
        small.message(kRoom, seq, "carol", "", members, 100);
    }
    EXPECT_EQ(small.dropped(), 5U);
    EXPECT_EQ(small.take_ready(kDebounce).size(), 2U);  // 3 pending, but the queue holds 2
    EXPECT_EQ(small.dropped(), 6U);
}

TEST_F(OfflineTrackerTest, DisabledDoesNothing) {
    OfflineTracker off;
    member("bob");
    off.message(kRoom, 1, "", "", members, 0);
    EXPECT_TRUE(off.take_ready(0).empty());
    EXPECT_EQ(off.reported(), 0U);
}

TEST_F(OfflineTrackerTest, TheListenerHearsWhenRecordsBecomeReady) {
    int pokes = 0;
    tracker.on_ready([&] { ++pokes; });
    member("bob");
    message(1, "", 0);
    message(2, "", 0);  // the queue was not empty: no second poke
    EXPECT_EQ(pokes, 1);
    tracker.take_ready(0);
    message(3, "", 0);
    EXPECT_EQ(pokes, 2);
}

}  // namespace
}  // namespace stampede::rooms
