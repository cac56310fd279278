// AdminRoute: the admin API's paths, methods, percent-decoding and session ids.
#include "http/admin_route.hpp"

#include <gtest/gtest.h>

namespace stampede::broker {
namespace {

using Kind = AdminRoute::Kind;

TEST(AdminRoute, ListingsTakeGet) {
    EXPECT_EQ(parse_admin_route("/connections").kind, Kind::Connections);
    EXPECT_EQ(parse_admin_route("/destinations").kind, Kind::Destinations);
    EXPECT_EQ(parse_admin_route("/connections").method(), "GET");
    EXPECT_EQ(parse_admin_route("/destinations").method(), "GET");
}

TEST(AdminRoute, ConnectionTakesDeleteAndKeepsTheId) {
    const AdminRoute route = parse_admin_route("/connections/1-42");
    EXPECT_EQ(route.kind, Kind::Connection);
    EXPECT_EQ(route.connection, "1-42");
    EXPECT_EQ(route.method(), "DELETE");
}

TEST(AdminRoute, UnknownPaths) {
    for (const char* path :
         {"", "/", "/connection", "/connections/", "/connections/1-2/x", "/destinations/x",
          "/rooms/", "/rooms/%2Ftopic%2Fa", "/rooms/%2Ftopic%2Fa/members/",
          "/rooms/%zz/members/bob", "/rooms//members/bob", "/other"}) {
        EXPECT_EQ(parse_admin_route(path).kind, Kind::Unknown) << path;
    }
}

TEST(AdminRoute, RoomMemberDecodesBothSegments) {
    const AdminRoute route = parse_admin_route("/rooms/%2Ftopic%2Froom.42/members/user%3Aal%2Fice");
    ASSERT_EQ(route.kind, Kind::RoomMember);
    EXPECT_EQ(route.room, "/topic/room.42");
    EXPECT_EQ(route.principal, "user:al/ice");
    EXPECT_EQ(route.method(), "DELETE");
}

TEST(AdminRoute, RoomMemberAlreadyDecodedOrWithoutLeadingSlash) {
    // A proxy may decode "%2F"; the split is at the last "/members/".
    AdminRoute route = parse_admin_route("/rooms//topic/room.42/members/alice");
    ASSERT_EQ(route.kind, Kind::RoomMember);
    EXPECT_EQ(route.room, "/topic/room.42");
    EXPECT_EQ(route.principal, "alice");
    route = parse_admin_route("/rooms/topic/room.42/members/alice");
    ASSERT_EQ(route.kind, Kind::RoomMember);
    EXPECT_EQ(route.room, "/topic/room.42");
}

TEST(PercentDecode, DecodesAndRefusesBrokenEscapes) {
    EXPECT_EQ(percent_decode("a%2Fb%2fc+d"), "a/b/c+d");
    EXPECT_EQ(percent_decode("plain"), "plain");
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_FALSE(percent_decode("%"));
    EXPECT_FALSE(percent_decode("%2"));
    EXPECT_FALSE(percent_decode("%g0"));
    EXPECT_FALSE(percent_decode("a%00b"));
}

TEST(SessionId, ParsesShardAndSession) {
    const auto id = parse_session_id("3-17");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->shard, 3u);
    EXPECT_EQ(id->session, 17u);
    for (const char* bad : {"", "3", "3-", "-17", "a-1", "1-a", "1-2-3", "1--2", " 1-2"}) {
        EXPECT_FALSE(parse_session_id(bad)) << bad;
    }
}

}  // namespace
}  // namespace stampede::broker
