// Destination prefixes and the RabbitMQ-style wildcard truth table.
#include "protocol/destination.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::protocol {
namespace {

const std::vector<std::string> kTopics = {"/topic/", "/sub/", "/topic/special/"};
const std::vector<std::string> kQueues = {"/queue/", "/topic/special/q/"};

TEST(Classify, PicksTheLongestConfiguredPrefix) {
    struct Row {
        std::string_view destination;
        DestinationKind kind;
        std::string_view prefix;
        std::string_view name;
    };
    const std::vector<Row> rows = {
        {"/topic/room.1", DestinationKind::Topic, "/topic/", "room.1"},
        {"/sub/chat", DestinationKind::Topic, "/sub/", "chat"},
        {"/queue/jobs", DestinationKind::Queue, "/queue/", "jobs"},
        {"/topic/special/x", DestinationKind::Topic, "/topic/special/", "x"},
        {"/topic/special/q/x", DestinationKind::Queue, "/topic/special/q/", "x"},
        {"/topic/", DestinationKind::Topic, "/topic/", ""},
        {"/topic", DestinationKind::Unknown, "", ""},
        {"/exchange/x", DestinationKind::Unknown, "", ""},
        {"", DestinationKind::Unknown, "", ""},
        {"/TOPIC/x", DestinationKind::Unknown, "", ""},
    };
    for (const Row& row : rows) {
        const ClassifiedDestination result = classify(row.destination, kTopics, kQueues);
        EXPECT_EQ(result.kind, row.kind) << row.destination;
        EXPECT_EQ(result.prefix, row.prefix) << row.destination;
        EXPECT_EQ(result.name, row.name) << row.destination;
    }
}

TEST(Classify, ViewsPointIntoTheDestination) {
    const std::string destination = "/queue/a";
    const ClassifiedDestination result = classify(destination, kTopics, kQueues);
    EXPECT_EQ(result.name.data(), destination.data() + 7);
    EXPECT_EQ(result.prefix.data(), destination.data());
}

TEST(Classify, NoPrefixesConfigured) {
    EXPECT_EQ(classify("/topic/a", {}, {}).kind, DestinationKind::Unknown);
}

TEST(IsPattern, OnlyWholeWildcardSegmentsCount) {
    EXPECT_TRUE(is_pattern("*"));
    EXPECT_TRUE(is_pattern("#"));
    EXPECT_TRUE(is_pattern("room.*"));
    EXPECT_TRUE(is_pattern("room.#"));
    EXPECT_TRUE(is_pattern("*.x.y"));
    EXPECT_TRUE(is_pattern("a.#.b"));
    EXPECT_FALSE(is_pattern(""));
    EXPECT_FALSE(is_pattern("room.1"));
    EXPECT_FALSE(is_pattern("room*"));
    EXPECT_FALSE(is_pattern("a.b#"));
    EXPECT_FALSE(is_pattern("**"));
    EXPECT_FALSE(is_pattern("a.##.b"));
}

TEST(Pattern, TruthTable) {
    struct Row {
        std::string_view pattern;
        std::string_view name;
        bool matches;
    };
    const std::vector<Row> rows = {
        {"room.*", "room.a", true},
        {"room.*", "room", false},
        {"room.*", "room.a.b", false},
        {"room.*", "hall.a", false},
        {"room.*", "room.", true},
        {"room.#", "room", true},
        {"room.#", "room.a", true},
        {"room.#", "room.a.b", true},
        {"room.#", "rooms.a", false},
        {"room.#", "hall", false},
        {"#", "", true},
        {"#", "a", true},
        {"#", "a.b.c", true},
        {"*", "a", true},
        {"*", "", true},
        {"*", "a.b", false},
        {"*.*", "a.b", true},
        {"*.*", "a", false},
        {"a.#.b", "a.b", true},
        {"a.#.b", "a.x.b", true},
        {"a.#.b", "a.x.y.b", true},
        {"a.#.b", "a.x.y", false},
        {"a.#.b", "a.b.b", true},
        {"#.b", "b", true},
        {"#.b", "a.b.c", false},
        {"#.b", "a.b.c.b", true},
        {"#.*", "", true},
        {"#.*", "a.b", true},
        {"*.#", "a", true},
        {"#.#", "a.b", true},
        {"a.*.#.c", "a.b.c", true},
        {"a.*.#.c", "a.c", false},
        {"a.*.#.c", "a.b.x.y.c", true},
        {"room.1", "room.1", true},
        {"room.1", "room.10", false},
        {"room.1", "room", false},
        {"", "", true},
        {"", "a", false},
        {"a..b", "a..b", true},
        {"a.*.b", "a..b", true},
    };
    for (const Row& row : rows) {
        EXPECT_EQ(Pattern(row.pattern).matches(row.name), row.matches)
            << "'" << row.pattern << "' vs '" << row.name << "'";
    }
}

TEST(Pattern, KeepsItsSegments) {
    EXPECT_EQ(Pattern("room.*.x").segments(), (std::vector<std::string>{"room", "*", "x"}));
}

TEST(SplitSegments, SplitsOnEveryDot) {
    using Views = std::vector<std::string_view>;
    EXPECT_EQ(split_segments(""), (Views{""}));
    EXPECT_EQ(split_segments("a"), (Views{"a"}));
    EXPECT_EQ(split_segments("a.b.c"), (Views{"a", "b", "c"}));
    EXPECT_EQ(split_segments("a..b."), (Views{"a", "", "b", ""}));
    EXPECT_EQ(split_segments("."), (Views{"", ""}));
}

}  // namespace
}  // namespace stampede::protocol
