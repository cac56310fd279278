// RoomPattern: which topics are rooms. The wildcard style ('*' one '.' segment, '#' zero or
// more, the topic prefix literal), the '/' style with {captures}, and every compile error.
#include "protocol/room_pattern.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace stampede::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr std::size_t kTopic = 7;  // "/topic/"

RoomPattern compile_ok(std::string_view pattern, std::size_t prefix_length = kTopic) {
    std::string error;
    std::optional<RoomPattern> p = RoomPattern::compile(pattern, prefix_length, error);
    EXPECT_TRUE(p.has_value()) << pattern << ": " << error;
    EXPECT_EQ(error, "") << pattern;
    return p ? *p : *RoomPattern::compile("/topic/unused", kTopic, error);
}

// The error compile() gives, "" when it compiles.
std::string compile_error(std::string_view pattern, std::size_t prefix_length = kTopic) {
    std::string error;
    std::optional<RoomPattern> p = RoomPattern::compile(pattern, prefix_length, error);
    EXPECT_NE(p.has_value(), !error.empty()) << pattern;
    return error;
}

// --- wildcard style ---

TEST(RoomPatternTest, KeepsItsText) {
    EXPECT_EQ(compile_ok("/topic/room.*").text(), "/topic/room.*");
    EXPECT_EQ(compile_ok("/sub/chat/room/{id}").text(), "/sub/chat/room/{id}");
}

TEST(RoomPatternTest, LiteralWildcardStyleMatchesOnlyItself) {
    RoomPattern p = compile_ok("/topic/lobby");
    EXPECT_TRUE(p.matches("/topic/lobby"));
    EXPECT_FALSE(p.matches("/topic/lobby2"));
    EXPECT_FALSE(p.matches("/topic/lobby.x"));
    EXPECT_FALSE(p.matches("/topic/lobb"));
    EXPECT_FALSE(p.matches("/topic/"));
    EXPECT_FALSE(p.matches("/queue/lobby"));
}

TEST(RoomPatternTest, StarMatchesExactlyOneSegment) {
    RoomPattern p = compile_ok("/topic/room.*");
    EXPECT_TRUE(p.matches("/topic/room.1"));
    EXPECT_TRUE(p.matches("/topic/room.general"));
    EXPECT_FALSE(p.matches("/topic/room"));
    EXPECT_FALSE(p.matches("/topic/room.1.2"));
    EXPECT_FALSE(p.matches("/topic/rooms.1"));
    EXPECT_FALSE(p.matches("/topic/x.room.1"));
}

TEST(RoomPatternTest, StarInTheMiddle) {
    RoomPattern p = compile_ok("/topic/room.*.chat");
    EXPECT_TRUE(p.matches("/topic/room.1.chat"));
    EXPECT_FALSE(p.matches("/topic/room.chat"));
    EXPECT_FALSE(p.matches("/topic/room.1.2.chat"));
    EXPECT_FALSE(p.matches("/topic/room.1.chat.x"));
}

TEST(RoomPatternTest, HashMatchesZeroOrMoreSegments) {
    RoomPattern p = compile_ok("/topic/room.#");
    EXPECT_TRUE(p.matches("/topic/room"));
    EXPECT_TRUE(p.matches("/topic/room.1"));
    EXPECT_TRUE(p.matches("/topic/room.1.2.3"));
    EXPECT_FALSE(p.matches("/topic/rooms"));
    EXPECT_FALSE(p.matches("/topic/lobby.1"));
}

TEST(RoomPatternTest, HashInTheMiddleAndAtTheStart) {
    RoomPattern middle = compile_ok("/topic/a.#.z");
    EXPECT_TRUE(middle.matches("/topic/a.z"));
    EXPECT_TRUE(middle.matches("/topic/a.b.z"));
    EXPECT_TRUE(middle.matches("/topic/a.b.c.z"));
    EXPECT_TRUE(middle.matches("/topic/a.z.z"));
    EXPECT_FALSE(middle.matches("/topic/a.b"));
    EXPECT_FALSE(middle.matches("/topic/a.z.b"));
    RoomPattern start = compile_ok("/topic/#.events");
    EXPECT_TRUE(start.matches("/topic/events"));
    EXPECT_TRUE(start.matches("/topic/x.y.events"));
    EXPECT_FALSE(start.matches("/topic/events.x"));
}

TEST(RoomPatternTest, HashAloneMatchesEverythingUnderThePrefix) {
    RoomPattern p = compile_ok("/topic/#");
    EXPECT_TRUE(p.matches("/topic/a"));
    EXPECT_TRUE(p.matches("/topic/a.b"));
    EXPECT_FALSE(p.matches("/other/a"));
}

TEST(RoomPatternTest, StarAndHashTogether) {
    RoomPattern p = compile_ok("/topic/*.#.end");
    EXPECT_TRUE(p.matches("/topic/x.end"));
    EXPECT_TRUE(p.matches("/topic/x.y.z.end"));
    EXPECT_FALSE(p.matches("/topic/end"));
}

TEST(RoomPatternTest, ThePrefixIsLiteralEvenWithDotsOrWildcardCharacters) {
    // The prefix's own characters are not segments: "/a.b/" is matched as text.
    RoomPattern p = compile_ok("/a.b/room.*", 5);
    EXPECT_TRUE(p.matches("/a.b/room.1"));
    EXPECT_FALSE(p.matches("/a.c/room.1"));
    EXPECT_FALSE(p.matches("/a.b/room"));
    // A prefix of another length splits elsewhere: with 0, "/topic/room" is a segment.
    RoomPattern whole = compile_ok("/topic/room.*", 0);
    EXPECT_TRUE(whole.matches("/topic/room.1"));
    EXPECT_FALSE(whole.matches("/topic/lobby.1"));
}

TEST(RoomPatternTest, SlashesAreOrdinaryCharactersInTheWildcardStyle) {
    RoomPattern p = compile_ok("/topic/chat/room.*");
    EXPECT_TRUE(p.matches("/topic/chat/room.1"));
    EXPECT_FALSE(p.matches("/topic/chat/x.1"));
}

TEST(RoomPatternTest, WildcardStyleHasNoCaptures) {
    std::optional<Captures> c = compile_ok("/topic/room.*").match("/topic/room.1");
    ASSERT_TRUE(c.has_value());
    EXPECT_THAT(*c, IsEmpty());
    EXPECT_FALSE(compile_ok("/topic/room.*").match("/topic/lobby").has_value());
}

// Several '#' against a long name: a backtracking matcher takes O(n^k) here, which a
// publisher choosing the destination could have made unbounded.
TEST(RoomPatternTest, ManyHashesAgainstALongNameStayFast) {
    RoomPattern p = compile_ok("/topic/#.a.#.a.#.a.#.a.#.a.#.b");
    std::string name = "/topic/a";
    for (int i = 0; i < 2000; ++i) {
        name += ".a";
    }
    EXPECT_FALSE(p.matches(name));
    EXPECT_TRUE(p.matches(name + ".b"));
}

// --- '/' style with {captures} ---

TEST(RoomPatternTest, CapturesTakeTheirSegmentsValues) {
    RoomPattern p = compile_ok("/sub/chat/room/{id}");
    std::optional<Captures> c = p.match("/sub/chat/room/42");
    ASSERT_TRUE(c.has_value());
    EXPECT_THAT(*c, ElementsAre(Pair("id", "42")));
    EXPECT_TRUE(p.matches("/sub/chat/room/42"));
}

TEST(RoomPatternTest, SeveralCapturesInOrder) {
    RoomPattern p = compile_ok("/topic/{org}/room/{room_2}");
    std::optional<Captures> c = p.match("/topic/acme/room/a.b-c");
    ASSERT_TRUE(c.has_value());
    EXPECT_THAT(*c, ElementsAre(Pair("org", "acme"), Pair("room_2", "a.b-c")));
}

TEST(RoomPatternTest, ACaptureNeverMatchesAnEmptySegment) {
    RoomPattern p = compile_ok("/sub/chat/room/{id}");
    EXPECT_FALSE(p.match("/sub/chat/room/").has_value());
    RoomPattern middle = compile_ok("/topic/{org}/room");
    EXPECT_FALSE(middle.matches("/topic//room"));
}

TEST(RoomPatternTest, ACaptureNeverSpansASlash) {
    RoomPattern p = compile_ok("/sub/chat/room/{id}");
    EXPECT_FALSE(p.matches("/sub/chat/room/42/x"));
    EXPECT_FALSE(p.matches("/sub/chat/room/4/2"));
}

TEST(RoomPatternTest, LiteralSegmentsMustBeEqual) {
    RoomPattern p = compile_ok("/sub/chat/room/{id}");
    EXPECT_FALSE(p.matches("/sub/chat/rooms/42"));
    EXPECT_FALSE(p.matches("/sub/Chat/room/42"));
    EXPECT_FALSE(p.matches("/topic/chat/room/42"));
}

TEST(RoomPatternTest, WrongSegmentCountsDoNotMatch) {
    RoomPattern p = compile_ok("/sub/chat/room/{id}");
    EXPECT_FALSE(p.matches("/sub/chat/room"));
    EXPECT_FALSE(p.matches("/sub/chat"));
    EXPECT_FALSE(p.matches("/sub/chat/room/42/"));
    EXPECT_FALSE(p.matches("sub/chat/room/42"));
    EXPECT_FALSE(p.matches(""));
}

TEST(RoomPatternTest, WildcardCharactersInADestinationAreOrdinaryInTheSlashStyle) {
    RoomPattern p = compile_ok("/topic/room/{id}");
    std::optional<Captures> c = p.match("/topic/room/*");
    ASSERT_TRUE(c.has_value());
    EXPECT_THAT(*c, ElementsAre(Pair("id", "*")));
}

// --- compile errors ---

TEST(RoomPatternTest, EveryCompileError) {
    EXPECT_EQ(compile_error(""), "a room pattern must not be empty");
    EXPECT_EQ(compile_error("/topic/"), "a room pattern needs a name after its prefix");
    EXPECT_EQ(compile_error("/top", kTopic), "a room pattern needs a name after its prefix");
    EXPECT_EQ(compile_error("/topic/room..x"), "a room pattern has an empty '.' segment");
    EXPECT_EQ(compile_error("/topic/.room"), "a room pattern has an empty '.' segment");
    EXPECT_EQ(compile_error("/topic/room."), "a room pattern has an empty '.' segment");
    EXPECT_EQ(compile_error("/topic/room*"), "'*' and '#' must each be a whole '.' segment");
    EXPECT_EQ(compile_error("/topic/room.#x"), "'*' and '#' must each be a whole '.' segment");
    EXPECT_EQ(compile_error("/topic/room.{id}.*"),
              "a room pattern mixes {captures} with '*' or '#'");
    EXPECT_EQ(compile_error("/topic/#/{id}"), "a room pattern mixes {captures} with '*' or '#'");
    EXPECT_EQ(compile_error("/topic//{id}"), "a room pattern has an empty '/' segment");
    EXPECT_EQ(compile_error("/topic/{id}/"), "a room pattern has an empty '/' segment");
    EXPECT_EQ(compile_error("/topic/room-{id}"), "a {capture} must be a whole '/' segment");
    EXPECT_EQ(compile_error("/topic/{id}x"), "a {capture} must be a whole '/' segment");
    EXPECT_EQ(compile_error("/topic/room}"), "a {capture} must be a whole '/' segment");
    EXPECT_EQ(compile_error("/topic/{{id}}"), "a capture name must be [A-Za-z_][A-Za-z0-9_]*");
    EXPECT_EQ(compile_error("/topic/{}"), "a capture name must be [A-Za-z_][A-Za-z0-9_]*");
    EXPECT_EQ(compile_error("/topic/{1d}"), "a capture name must be [A-Za-z_][A-Za-z0-9_]*");
    EXPECT_EQ(compile_error("/topic/{i-d}"), "a capture name must be [A-Za-z_][A-Za-z0-9_]*");
    EXPECT_EQ(compile_error("/topic/{id}/{id}"), "a capture name appears twice");
}

TEST(RoomPatternTest, GoodNamesCompile) {
    EXPECT_EQ(compile_error("/topic/{_}"), "");
    EXPECT_EQ(compile_error("/topic/{Room9}"), "");
    EXPECT_EQ(compile_error("/topic/{a}/{b}"), "");
    EXPECT_EQ(compile_error("/topic/x"), "");
}

}  // namespace
}  // namespace stampede::protocol
