// FailureTracker: the per-IP brute-force limit, and auth.max_tracked_ips crossed (a small
// table, driven with explicit times).
#include "core/failure_tracker.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::broker {
namespace {

using Clock = FailureTracker::Clock;
using std::chrono::seconds;

constexpr std::uint32_t kMaxPerMinute = 2;  // the third failure in a minute blocks
constexpr std::size_t kMaxTracked = 3;

void fail(FailureTracker& tracker, const std::string& ip, Clock::time_point now, int times = 1) {
    for (int i = 0; i < times; ++i) {
        tracker.record_failure(ip, kMaxPerMinute, kMaxTracked, now);
    }
}

TEST(FailureTrackerTest, PastTheLimitAnIpIsBlockedForAMinute) {
    FailureTracker tracker;
    const auto t0 = Clock::now();
    fail(tracker, "10.0.0.1", t0, 2);
    EXPECT_FALSE(tracker.blocked("10.0.0.1", t0));
    fail(tracker, "10.0.0.1", t0);
    EXPECT_TRUE(tracker.blocked("10.0.0.1", t0));
    EXPECT_FALSE(tracker.blocked("10.0.0.2", t0));
    EXPECT_TRUE(tracker.blocked("10.0.0.1", t0 + seconds(59)));
    EXPECT_FALSE(tracker.blocked("10.0.0.1", t0 + seconds(60)));
}

TEST(FailureTrackerTest, ZeroPerMinuteMeansNoLimit) {
    // auth.max_failures_per_minute: 0 is documented as "no limit"; it once blocked an address
    // at its first failure (the count is compared with `>`).
    FailureTracker tracker;
    const auto t0 = Clock::now();
    for (int i = 0; i < 100; ++i) {
        tracker.record_failure("10.0.0.9", 0, kMaxTracked, t0);
    }
    EXPECT_FALSE(tracker.blocked("10.0.0.9", t0));
    EXPECT_EQ(tracker.tracked(), 0U);
}

TEST(FailureTrackerTest, AFullTableOfActiveIpsNeitherGrowsNorForgetsThem) {
    FailureTracker tracker;
    const auto t0 = Clock::now();
    fail(tracker, "10.0.0.1", t0, 3);  // blocked
    fail(tracker, "10.0.0.2", t0);
    fail(tracker, "10.0.0.3", t0);
    ASSERT_EQ(tracker.tracked(), kMaxTracked);
    // A fourth IP while all three failed within the minute: not counted, however often.
    fail(tracker, "10.0.0.4", t0 + seconds(1), 5);
    EXPECT_EQ(tracker.tracked(), kMaxTracked);
    EXPECT_EQ(tracker.untracked(), 5U);
    EXPECT_FALSE(tracker.blocked("10.0.0.4", t0 + seconds(1)));
    // ... and the tracked ones keep their counts and their block.
    EXPECT_TRUE(tracker.blocked("10.0.0.1", t0 + seconds(1)));
    fail(tracker, "10.0.0.2", t0 + seconds(2), 2);
    EXPECT_TRUE(tracker.blocked("10.0.0.2", t0 + seconds(2)));
}

TEST(FailureTrackerTest, AFullTableIsSweptAtMostOnceASecond) {
    // Every sweep walks the whole table under the lock each CONNECT takes: many addresses
    // must not make it run on every failure.
    FailureTracker tracker;
    const auto t0 = Clock::now();
    fail(tracker, "10.0.0.1", t0);
    fail(tracker, "10.0.0.2", t0);
    fail(tracker, "10.0.0.3", t0);
    fail(tracker, "10.0.0.9", t0 + seconds(61));  // a sweep: the three are idle
    EXPECT_EQ(tracker.tracked(), 1U);
    fail(tracker, "10.0.0.5", t0);  // idle already (failed long ago)
    fail(tracker, "10.0.0.6", t0);
    ASSERT_EQ(tracker.tracked(), kMaxTracked);
    const auto soon = t0 + seconds(61) + std::chrono::milliseconds(500);
    fail(tracker, "10.0.0.7", soon);  // full, idle entries there, but swept 0.5 s ago
    EXPECT_EQ(tracker.untracked(), 1U);
    EXPECT_EQ(tracker.tracked(), kMaxTracked);
    fail(tracker, "10.0.0.8", t0 + seconds(62) + std::chrono::milliseconds(100));
    EXPECT_EQ(tracker.untracked(), 1U);  // a second later: swept, room made
    EXPECT_EQ(tracker.tracked(), 2U);
}

TEST(FailureTrackerTest, IdleIpsAreForgottenToMakeRoom) {
    FailureTracker tracker;
    const auto t0 = Clock::now();
    fail(tracker, "10.0.0.1", t0, 3);  // blocked until t0 + 60 s
    fail(tracker, "10.0.0.2", t0);
    fail(tracker, "10.0.0.3", t0);
    // 30 s later .2 fails again; .3 stays idle.
    fail(tracker, "10.0.0.2", t0 + seconds(30));
    // At t0 + 61 s: .3 has had no failure for over a minute and .1's block is over; .2's
    // last failure is 31 s old. Room is made by forgetting .1 and .3, not .2.
    const auto later = t0 + seconds(61);
    fail(tracker, "10.0.0.4", later, 3);
    EXPECT_TRUE(tracker.blocked("10.0.0.4", later));
    EXPECT_EQ(tracker.untracked(), 0U);
    EXPECT_EQ(tracker.tracked(), 2U);
    fail(tracker, "10.0.0.2", later, 1);  // its failure at +30 s still counts: 2, then 3
    EXPECT_FALSE(tracker.blocked("10.0.0.2", later));
    fail(tracker, "10.0.0.2", later, 1);
    EXPECT_TRUE(tracker.blocked("10.0.0.2", later));
}

}  // namespace
}  // namespace stampede::broker
