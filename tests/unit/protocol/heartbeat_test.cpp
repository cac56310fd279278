// Heart-beat header parsing and the negotiation table.
#include "protocol/heartbeat.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace stampede::protocol {
namespace {

TEST(HeartBeat, ParsesTwoNonNegativeIntegers) {
    const auto zero = parse_heartbeat("0,0");
    ASSERT_TRUE(zero);
    EXPECT_EQ(zero->cx, 0U);
    EXPECT_EQ(zero->cy, 0U);
    const auto both = parse_heartbeat("10000,250");
    ASSERT_TRUE(both);
    EXPECT_EQ(both->cx, 10000U);
    EXPECT_EQ(both->cy, 250U);
    EXPECT_TRUE(parse_heartbeat("4294967295,0"));
    EXPECT_TRUE(parse_heartbeat("007,01"));
}

TEST(HeartBeat, RejectsAnythingElse) {
    for (const char* text :
         {"", "1", ",", "1,", ",1", "a,b", "-1,0", "0,-1", "+1,0", " 1,2", "1,2 ", "1 ,2", "1, 2",
          "1,2,3", "1;2", "4294967296,0", "1.5,2", "0x10,0"}) {
        EXPECT_FALSE(parse_heartbeat(text)) << "'" << text << "'";
    }
}

TEST(HeartBeat, NegotiationTable) {
    struct Row {
        HeartBeat client;
        std::uint32_t server_ms;
        std::uint32_t client_min_ms;
        HeartBeatPlan plan;
    };
    const std::vector<Row> rows = {
        // client cx,cy   server  min    CONNECTED sx,sy   send  expect
        {{0, 0}, 10000, 1000, {0, 0, 0, 0}},
        {{5000, 5000}, 10000, 1000, {10000, 1000, 10000, 5000}},
        {{500, 20000}, 10000, 1000, {10000, 1000, 20000, 1000}},
        {{0, 4000}, 10000, 1000, {10000, 0, 10000, 0}},
        {{4000, 0}, 10000, 1000, {0, 1000, 0, 4000}},
        {{4000, 4000}, 0, 1000, {0, 1000, 0, 4000}},
        {{4000, 4000}, 10000, 0, {10000, 0, 10000, 0}},
        {{4000, 4000}, 0, 0, {0, 0, 0, 0}},
    };
    for (const Row& row : rows) {
        const HeartBeatPlan plan = plan_heartbeat(row.client, row.server_ms, row.client_min_ms);
        SCOPED_TRACE(::testing::Message() << row.client.cx << "," << row.client.cy << " server "
                                          << row.server_ms << " min " << row.client_min_ms);
        EXPECT_EQ(plan.server_ms, row.plan.server_ms);
        EXPECT_EQ(plan.client_ms, row.plan.client_ms);
        EXPECT_EQ(plan.send_every_ms, row.plan.send_every_ms);
        EXPECT_EQ(plan.expect_every_ms, row.plan.expect_every_ms);
    }
}

}  // namespace
}  // namespace stampede::protocol
