// PresenceMirror: notices before the first load wait for it and only the ones newer than the
// load count; a load reports what differs from before as leaves and enters; the mirror's own
// numbers only grow, also when Redis's start again (a Redis that lost its data); snapshots
// and counts read what it has.
#include "rooms/presence_mirror.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace stampede::rooms {
namespace {

std::string describe(const PresenceMirror::Change& c) {
    return (c.enter ? "enter " : "leave ") + c.room + " " + c.member + " " +
           std::to_string(c.count);
}

std::vector<std::string> describe(const std::vector<PresenceMirror::Change>& changes) {
    std::vector<std::string> out;
    for (const auto& c : changes) {
        out.push_back(describe(c));
    }
    return out;
}

using Lines = std::vector<std::string>;

TEST(PresenceMirrorTest, NoticesBeforeTheLoadWaitAndOnlyNewerOnesCount) {
    PresenceMirror mirror;
    EXPECT_FALSE(mirror.apply(4, true, "/topic/r", "bob", ""));  // held
    EXPECT_FALSE(mirror.apply(6, true, "/topic/r", "carol", ""));
    PresenceMirror::Rooms rooms;
    rooms["/topic/r"]["alice"] = R"({"n":1})";
    rooms["/topic/r"]["bob"] = "";
    // The load is at 5: bob's enter (4) is in it, carol's (6) came after.
    EXPECT_EQ(describe(mirror.load(5, rooms)),
              (Lines{"enter /topic/r alice 1", "enter /topic/r bob 2", "enter /topic/r carol 3"}));
    EXPECT_TRUE(mirror.loaded());
    EXPECT_FALSE(mirror.apply(6, false, "/topic/r", "carol", ""));  // already had 6
    const auto left = mirror.apply(7, false, "/topic/r", "alice", "");
    ASSERT_TRUE(left);
    EXPECT_EQ(describe(*left), "leave /topic/r alice 2");
    const PresenceSnapshot snapshot = mirror.snapshot("/topic/r");
    EXPECT_EQ(snapshot.users, (std::vector<std::string>{"bob", "carol"}));
    EXPECT_EQ(snapshot.version, left->version);
    EXPECT_EQ(mirror.count("/topic/r"), 2u);
    EXPECT_EQ(mirror.count("/topic/none"), 0u);
}

TEST(PresenceMirrorTest, AReloadReportsTheDifferenceAndNumbersKeepGrowing) {
    PresenceMirror mirror;
    PresenceMirror::Rooms first;
    first["/topic/r"]["alice"] = "";
    first["/topic/r"]["bob"] = "";
    first["/topic/s"]["dan"] = "";
    mirror.load(100, first);
    const std::uint64_t before = mirror.snapshot("/topic/r").version;
    mirror.unload();
    EXPECT_FALSE(mirror.loaded());
    EXPECT_EQ(mirror.count("/topic/r"), 2u);  // what it had stays while unloaded
    // Redis restarted: its numbering starts again, lower than before.
    PresenceMirror::Rooms second;
    second["/topic/r"]["bob"] = "";
    second["/topic/r"]["erin"] = "";
    const auto changes = mirror.load(3, second);
    EXPECT_EQ(describe(changes),
              (Lines{"leave /topic/r alice 1", "leave /topic/s dan 0", "enter /topic/r erin 2"}));
    for (const auto& change : changes) {
        EXPECT_GT(change.version, before);
    }
    const auto next = mirror.apply(4, true, "/topic/s", "fay", "");  // counted from 3 now
    ASSERT_TRUE(next);
    EXPECT_GT(next->version, changes.back().version);
    EXPECT_EQ(mirror.members(), 3u);
}

TEST(PresenceMirrorTest, RepeatedEntersAndUnknownLeavesChangeNothing) {
    PresenceMirror mirror;
    mirror.load(0, {});
    EXPECT_TRUE(mirror.apply(1, true, "/topic/r", "a", ""));
    EXPECT_FALSE(mirror.apply(2, true, "/topic/r", "a", ""));
    EXPECT_FALSE(mirror.apply(3, false, "/topic/r", "zed", ""));
    EXPECT_FALSE(mirror.apply(4, false, "/topic/none", "a", ""));
    EXPECT_EQ(mirror.count("/topic/r"), 1u);
}

}  // namespace
}  // namespace stampede::rooms
