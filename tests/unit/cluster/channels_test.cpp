// Relay channel names: channels, and Redis globs that cover what STOMP patterns match.
#include "cluster/channels.hpp"

#include <gtest/gtest.h>

#include "protocol/destination.hpp"

namespace stampede::broker {
namespace {

// Redis glob semantics (subset: '*' and '\' escapes), to check our globs really match.
bool glob_matches(std::string_view glob, std::string_view text) {
    if (glob.empty()) {
        return text.empty();
    }
    if (glob[0] == '*') {
        for (std::size_t i = 0; i <= text.size(); ++i) {
            if (glob_matches(glob.substr(1), text.substr(i))) {
                return true;
            }
        }
        return false;
    }
    std::size_t advance = 1;
    char want = glob[0];
    if (want == '\\' && glob.size() > 1) {
        want = glob[1];
        advance = 2;
    }
    return !text.empty() && text[0] == want && glob_matches(glob.substr(advance), text.substr(1));
}

TEST(ChannelsTest, ChannelNames) {
    EXPECT_EQ(relay_channel("stampede", "/topic/room.1"), "stampede:t:/topic/room.1");
}

TEST(ChannelsTest, GlobsCoverEveryNameTheStompPatternMatches) {
    const char* patterns[] = {"room.*", "room.#", "#", "a.#.z", "*.b", "a.*.#", "#.b"};
    const char* names[] = {"room", "room.1", "room.1.2", "rooms", "a.z",  "a.b.z",
                           "x.b",  "b",      "a.b",      "a",     "q.r.s"};
    for (const char* pattern : patterns) {
        const std::string glob = relay_pattern("stampede", "/topic/", pattern);
        const protocol::Pattern stomp(pattern);
        for (const char* name : names) {
            if (stomp.matches(name)) {
                EXPECT_TRUE(
                    glob_matches(glob, relay_channel("stampede", std::string("/topic/") + name)))
                    << glob << " must cover " << name;
            }
        }
    }
    EXPECT_EQ(relay_pattern("stampede", "/topic/", "room.*"), "stampede:t:/topic/room.*");
    EXPECT_EQ(relay_pattern("stampede", "/topic/", "room.#"), "stampede:t:/topic/room*");
    EXPECT_EQ(relay_pattern("stampede", "/topic/", "room.*.x"), "stampede:t:/topic/room.*.x");
    EXPECT_EQ(relay_pattern("stampede", "/topic/", "a.#.#.z"), "stampede:t:/topic/a*z");
}

TEST(ChannelsTest, GlobEscapesLiteralMetacharacters) {
    EXPECT_EQ(relay_pattern("p[1]", "/topic/", "a?.*"), "p\\[1\\]:t:/topic/a\\?.*");
}

}  // namespace
}  // namespace stampede::broker
