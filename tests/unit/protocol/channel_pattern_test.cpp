// ChannelPattern: Laravel channel names with {captures}, their Redis globs, and what is refused.
#include "protocol/channel_pattern.hpp"

#include <gtest/gtest.h>

#include <string>

namespace stampede::protocol {
namespace {

ChannelPattern compiled(const std::string& text) {
    std::string error;
    auto pattern = ChannelPattern::compile(text, error);
    EXPECT_TRUE(pattern) << text << ": " << error;
    return pattern.value_or(ChannelPattern{});
}

TEST(ChannelPatternTest, CapturesWholeSegments) {
    const ChannelPattern p = compiled("private-chat.{id}");
    EXPECT_EQ(p.match("private-chat.42"), (Captures{{"id", "42"}}));
    EXPECT_FALSE(p.match("private-chat.4.2"));
    EXPECT_FALSE(p.match("private-chat."));
    EXPECT_FALSE(p.match("presence-chat.42"));
    const ChannelPattern user = compiled("App.Models.User.{id}");
    EXPECT_EQ(user.match("App.Models.User.7"), (Captures{{"id", "7"}}));
    EXPECT_EQ(compiled("orders").match("orders"), Captures{});
    EXPECT_EQ(compiled("a.{x}.b.{y}").capture_names(), (std::vector<std::string>{"x", "y"}));
}

TEST(ChannelPatternTest, GlobsEscapeThePrefixAndWidenCaptures) {
    EXPECT_EQ(compiled("private-chat.{id}").glob("laravel_database_"),
              "laravel_database_private-chat.*");
    EXPECT_EQ(compiled("orders").glob("app[1]*"), "app\\[1\\]\\*orders");
}

TEST(ChannelPatternTest, RefusesWhatHasNoExactGlobOrIsAmbiguous) {
    for (const char* bad : {"", "a..b", ".a", "a.", "chat.*", "chat.{id", "chat.x{id}",
                            "chat.{1id}", "chat.{id}.{id}", "chat.[ab]", "a\\b", "chat.{}"}) {
        std::string error;
        EXPECT_FALSE(ChannelPattern::compile(bad, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

}  // namespace
}  // namespace stampede::protocol
