// The ACL's pattern algebra: prefix split, matching, and the over-/under-approximations that
// the wildcard-SUBSCRIBE check relies on (overlap never misses, covers never lies).
#include "auth/acl_pattern.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::auth {
namespace {

using Kind = PatternSegment::Kind;

TEST(DestinationPatternTest, LiteralPrefixRunsToTheLastSlashBeforeTheFirstDot) {
    struct Row {
        std::string text, prefix;
        std::size_t segments;
    };
    for (const Row& row : std::vector<Row>{{"/topic/room.*", "/topic/", 2},
                                           {"/topic/#", "/topic/", 1},
                                           {"/topic/", "/topic/", 1},
                                           {"/queue/a/b.c", "/queue/a/", 2},
                                           {"/topic/room.a/b", "/topic/", 2},
                                           {"noslash.x", "", 2}}) {
        const DestinationPattern p(row.text);
        EXPECT_EQ(p.prefix(), row.prefix) << row.text;
        EXPECT_EQ(p.segments().size(), row.segments) << row.text;
    }
    const DestinationPattern p("/topic/a*.*.#.b#");
    ASSERT_EQ(p.segments().size(), 4U);
    EXPECT_EQ(p.segments()[0].kind, Kind::Literal);  // "a*" is text, not a wildcard
    EXPECT_EQ(p.segments()[1].kind, Kind::Star);
    EXPECT_EQ(p.segments()[2].kind, Kind::Hash);
    EXPECT_EQ(p.segments()[3].kind, Kind::Literal);
    EXPECT_TRUE(p.has_wildcards());
    EXPECT_FALSE(DestinationPattern("/topic/room.1").has_wildcards());
}

TEST(DestinationPatternTest, MatchTruthTable) {
    struct Row {
        const char* pattern;
        const char* destination;
        bool match;
    };
    const std::vector<Row> rows = {
        {"/topic/room.*", "/topic/room.1", true},
        {"/topic/room.*", "/topic/room.", true},  // one empty segment
        {"/topic/room.*", "/topic/room", false},
        {"/topic/room.*", "/topic/room.1.2", false},
        {"/topic/room.*", "/topic/x/room.1", false},
        {"/topic/room.*", "/queue/room.1", false},
        {"/topic/room.#", "/topic/room", true},
        {"/topic/room.#", "/topic/room.1.2.3", true},
        {"/topic/room.#", "/topic/rooms.1", false},
        {"/topic/#", "/topic/anything.at.all", true},
        {"/topic/#", "/topic/", true},
        {"/topic/#", "/topic/a/b.c", true},
        {"/topic/#", "/topicx", false},
        {"/topic/*", "/topic/a/b", true},  // '/' is not a separator after the prefix
        {"/topic/*", "/topic/a.b", false},
        {"/topic/a.#.z", "/topic/a.z", true},
        {"/topic/a.#.z", "/topic/a.b.c.z", true},
        {"/topic/a.#.z", "/topic/a.b.c", false},
        {"/topic/#.#.x", "/topic/x", true},
        {"/topic/*.*", "/topic/a", false},
        {"/queue/user.alice", "/queue/user.alice", true},
        {"/queue/user.alice", "/queue/user.alicex", false},
        {"/topic/room.*", "/topic/room.*", true},  // a literal '*' destination is one segment
    };
    for (const Row& row : rows) {
        EXPECT_EQ(DestinationPattern(row.pattern).matches(row.destination), row.match)
            << row.pattern << " vs " << row.destination;
    }
}

struct PairRow {
    const char* a;
    const char* b;
    bool expected;
};

TEST(DestinationPatternTest, OverlapTruthTable) {
    const std::vector<PairRow> rows = {
        {"/topic/room.*", "/topic/room.#", true},
        {"/topic/room.*", "/topic/*.1", true},
        {"/topic/room.*", "/topic/lobby.*", false},
        {"/topic/room.*", "/topic/room.*.*", false},
        {"/topic/a.#", "/topic/#.b", true},
        {"/topic/a.*.c", "/topic/*.b.*", true},
        {"/topic/a.*.c", "/topic/*.b.d", false},
        {"/topic/#", "/queue/#", false},
        {"/topic/admin/#", "/topic/#", true},
        {"/topic/admin/#", "/topic/*", true},  // "admin/x" is one segment
        {"/topic/admin/#", "/topic/*.x", true},
        {"/topic/admin/#", "/topic/room.*", false},  // "room" cannot start with "admin/"
        {"/topic/admin/x.*", "/topic/*.y", true},    // "admin/x.y"
        {"/topic/admin/x.*", "/topic/#", true},
        {"/topic/a/b.*", "/topic/a/c.*", false},
        {"/topic/a/b.*", "/topic/b/b.*", false},
        {"/topic/room.1", "/topic/room.1", true},
        {"/topic/room.1", "/topic/room.2", false},
    };
    for (const PairRow& row : rows) {
        EXPECT_EQ(may_overlap(DestinationPattern(row.a), DestinationPattern(row.b)), row.expected)
            << row.a << " ~ " << row.b;
        EXPECT_EQ(may_overlap(DestinationPattern(row.b), DestinationPattern(row.a)), row.expected)
            << row.b << " ~ " << row.a << " (symmetric)";
    }
}

TEST(DestinationPatternTest, CoversTruthTable) {
    const std::vector<PairRow> rows = {
        // {outer, inner, outer covers inner}
        {"/topic/room.*", "/topic/room.*", true},
        {"/topic/room.*", "/topic/room.1", true},
        {"/topic/room.#", "/topic/room.*", true},
        {"/topic/room.#", "/topic/room.*.#", true},
        {"/topic/room.*", "/topic/room.#", false},  // room and room.a.b are outside
        {"/topic/#", "/topic/room.*", true},
        {"/topic/#", "/topic/a/b.#", true},
        {"/topic/*", "/topic/a/*", true},  // "a/x" is one segment
        {"/topic/*", "/topic/a/b.*", false},
        {"/topic/*.#", "/topic/*.*", true},
        {"/topic/*.*", "/topic/*.#", false},
        {"/topic/a.#", "/topic/#", false},
        {"/topic/admin/#", "/topic/#", false},  // longer literal prefix never covers
        {"/topic/admin/#", "/topic/admin/x.*", true},
        {"/queue/#", "/topic/#", false},
        {"/topic/#.x", "/topic/a.x", true},
        {"/topic/#.x", "/topic/*.*.x", true},
        {"/topic/#.x", "/topic/#.y", false},
    };
    for (const PairRow& row : rows) {
        EXPECT_EQ(covers(DestinationPattern(row.a), DestinationPattern(row.b)), row.expected)
            << row.a << " covers " << row.b;
    }
    // The documented blind spot: equal sets spelled differently are not proven.
    EXPECT_FALSE(covers(DestinationPattern("/topic/*.#"), DestinationPattern("/topic/#.*")));
}

// covers() must never claim inclusion that a concrete destination disproves, and may_overlap
// must never deny an overlap that a concrete destination proves. Checked over a grid.
TEST(DestinationPatternTest, ApproximationsAreSoundOnAGrid) {
    const std::vector<std::string> patterns = {
        "/t/#",     "/t/*",   "/t/a.*",   "/t/a.#", "/t/*.b", "/t/#.b", "/t/a/#", "/t/a/*",
        "/t/a/b.*", "/t/*.*", "/t/a.*.b", "/t/#.#", "/t/a",   "/t/a.b", "/t/b/#"};
    const std::vector<std::string> destinations = {
        "/t/a",     "/t/b",     "/t/a.b", "/t/a.c", "/t/c.b", "/t/a.b.b", "/t/a.x.b", "/t/a/b",
        "/t/a/b.c", "/t/a/x.b", "/t/b/a", "/t/",    "/t/a.",  "/t/x.y.z", "/t/b/c.b"};
    for (const std::string& a : patterns) {
        for (const std::string& b : patterns) {
            const DestinationPattern pa(a);
            const DestinationPattern pb(b);
            bool common = false;
            bool a_has_all_of_b = true;
            for (const std::string& d : destinations) {
                common = common || (pa.matches(d) && pb.matches(d));
                a_has_all_of_b = a_has_all_of_b && (!pb.matches(d) || pa.matches(d));
            }
            if (common) {
                EXPECT_TRUE(may_overlap(pa, pb)) << a << " ~ " << b;
            }
            if (covers(pa, pb)) {
                EXPECT_TRUE(a_has_all_of_b) << a << " covers " << b;
            }
        }
    }
}

}  // namespace
}  // namespace stampede::auth
