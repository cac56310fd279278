// The admin API's JSON: connections rendered, destinations counted across sessions.
#include "http/admin_json.hpp"

#include <gtest/gtest.h>

namespace stampede::broker {
namespace {

using protocol::DestinationKind;

SessionReport session(std::string id, std::vector<SubscriptionReport> subs) {
    SessionReport report;
    report.id = std::move(id);
    report.principal = "al\"ice";
    report.peer = "127.0.0.1";
    report.transport = "websocket";
    report.version = "1.2";
    report.state = "connected";
    report.pending_bytes = 12;
    report.subscriptions = std::move(subs);
    return report;
}

TEST(AdminJson, RendersConnectionsWithEscapes) {
    const std::string json =
        render_connections({session("0-1", {{"s1", "/topic/a", DestinationKind::Topic}})});
    EXPECT_EQ(json,
              R"([{"id":"0-1","principal":"al\"ice","peer":"127.0.0.1","transport":"websocket",)"
              R"("version":"1.2",)"
              R"("state":"connected","pending_bytes":12,"subscriptions":[{"id":"s1",)"
              R"("destination":"/topic/a","kind":"topic"}]}])");
    EXPECT_EQ(render_connections({}), "[]");
}

TEST(AdminJson, CountsSubscribersPerDestinationAcrossSessions) {
    const auto counted = count_destinations({
        session("0-1", {{"a", "/topic/b", DestinationKind::Topic},
                        {"b", "/queue/q", DestinationKind::Queue}}),
        session("1-1", {{"a", "/topic/b", DestinationKind::Topic},
                        {"c", "/stampede/unread", DestinationKind::Unknown}}),
    });
    ASSERT_EQ(counted.size(), 3u);
    EXPECT_EQ(counted[0].destination, "/queue/q");
    EXPECT_EQ(counted[0].subscribers, 1u);
    EXPECT_EQ(counted[1].destination, "/stampede/unread");
    EXPECT_EQ(counted[2].destination, "/topic/b");
    EXPECT_EQ(counted[2].subscribers, 2u);
    EXPECT_EQ(counted[2].kind, DestinationKind::Topic);
}

TEST(AdminJson, RendersDestinationsWithDepthForQueues) {
    std::vector<DestinationReport> list(2);
    list[0] = {"/queue/q", DestinationKind::Queue, 1, 5};
    list[1] = {"/stampede/unread", DestinationKind::Unknown, 2, std::nullopt};
    EXPECT_EQ(render_destinations(list),
              R"([{"destination":"/queue/q","kind":"queue","subscribers":1,"depth":5},)"
              R"({"destination":"/stampede/unread","kind":"other","subscribers":2}])");
}

}  // namespace
}  // namespace stampede::broker
