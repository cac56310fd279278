// Notice templates: {name} placeholders (anything else in braces is literal, so JSON needs no
// escaping), rendering, JSON string escaping; and RoomPattern's capture names.
#include "protocol/notice_template.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protocol/room_pattern.hpp"

namespace stampede::protocol {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(NoticeTemplateTest, PlaceholdersAreBracedNamesOnly) {
    EXPECT_THAT(template_placeholders(R"({"type":"ENTER","roomId":"{id}","sender":{user}})"),
                ElementsAre("id", "user"));
    EXPECT_THAT(template_placeholders(R"({ } {1x} {a-b} {"x"} {)"), IsEmpty());
    EXPECT_THAT(template_placeholders("{count}{count}"), ElementsAre("count", "count"));
}

TEST(NoticeTemplateTest, RendersKnownNamesAndLeavesTheRest) {
    const auto value = [](std::string_view name) -> std::optional<std::string> {
        if (name == "user") {
            return "\"al\\\"ice\"";
        }
        if (name == "count") {
            return "3";
        }
        return std::nullopt;
    };
    EXPECT_EQ(render_template(R"({"sender":{user},"userCount":{count},"x":"{other}"})", value),
              R"({"sender":"al\"ice","userCount":3,"x":"{other}"})");
    EXPECT_EQ(render_template("", value), "");
    EXPECT_EQ(render_template("{count}{count}", value), "33");
}

TEST(NoticeTemplateTest, JsonEscape) {
    EXPECT_EQ(json_escape("a\"b\\c\nd\x01\xc3\xa9"), "a\\\"b\\\\c\\nd\\u0001\xc3\xa9");
}

TEST(NoticeTemplateTest, RoomPatternCaptureNames) {
    std::string error;
    auto slash = RoomPattern::compile("/topic/chat/{room}/by/{id}", 7, error);
    ASSERT_TRUE(slash);
    EXPECT_THAT(slash->capture_names(), ElementsAre("room", "id"));
    auto wildcard = RoomPattern::compile("/topic/room.*", 7, error);
    ASSERT_TRUE(wildcard);
    EXPECT_THAT(wildcard->capture_names(), IsEmpty());
}

}  // namespace
}  // namespace stampede::protocol
