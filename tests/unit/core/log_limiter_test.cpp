// The count per interval behind every log line that clients can cause.
#include "core/log_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::broker {
namespace {

TEST(LogLimiter, OneLineOfAKindPerIntervalThenTheCountOfTheRest) {
    LogLimiter limiter(10'000);
    EXPECT_EQ(limiter.admit("Missing URI in HTTP request", 1'000), "Missing URI in HTTP request");
    for (int i = 0; i < 500; ++i) {
        EXPECT_EQ(limiter.admit("Missing URI in HTTP request", 1'000 + i), std::nullopt);
    }
    EXPECT_EQ(limiter.admit("Missing URI in HTTP request", 10'999), std::nullopt);
    EXPECT_EQ(limiter.admit("Missing URI in HTTP request", 11'000),
              "Missing URI in HTTP request (501 more like it in the last 10 s)");
    EXPECT_EQ(limiter.admit("Missing URI in HTTP request", 30'000), "Missing URI in HTTP request");
}

TEST(LogLimiter, KindsAreCountedApartAndNumbersDoNotMakeANewKind) {
    LogLimiter limiter(10'000);
    EXPECT_TRUE(limiter.admit("peer 10.0.0.1:5000 reset", 0));
    EXPECT_FALSE(limiter.admit("peer 10.0.0.2:61234 reset", 1));
    EXPECT_TRUE(limiter.admit("wsi 0x7f3a00c0 closed", 2));
    EXPECT_FALSE(limiter.admit("wsi 0x61a0000e closed", 3));
    EXPECT_TRUE(limiter.admit("Ran out of header data space", 4));
    EXPECT_EQ(LogLimiter::kind_of("wsi 0x7f3a00c0 len 4096"), "wsi # len #");
}

TEST(LogLimiter, JunkCannotGrowTheTablePastItsBound) {
    LogLimiter limiter(10'000, 4);
    int written = 0;
    for (int i = 0; i < 1000; ++i) {
        // Every line a different kind: letters, not numbers, differ.
        std::string text = "junk ";
        for (int n = i; n > 0; n /= 26) {
            text += static_cast<char>('a' + n % 26);
        }
        written += limiter.admit(text, 5) ? 1 : 0;
    }
    EXPECT_EQ(written, 5);  // four kinds, then one line for all the others
}

}  // namespace
}  // namespace stampede::broker
