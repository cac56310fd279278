// The publish form's JSON, strict (HTTP: 400 with the reason) and lenient (Redis ingress:
// keep what can be kept, as backends relied on).
#include "core/publish_form.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace stampede::broker {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST(PublishFormTest, StrictRefusesFieldsThatAreNotStrings) {
    for (const char* json : {R"({"destination":"/topic/a","body":5})",
                             R"({"destination":"/topic/a","body_base64":true})",
                             R"({"destination":"/topic/a","headers":{"priority":5}})",
                             R"({"destination":"/topic/a","headers":[]})"}) {
        PublishForm form;
        EXPECT_NE(read_publish_form(json, form), nullptr) << json;
    }
}

TEST(PublishFormTest, LenientLeavesThemOutAndKeepsTheMessage) {
    PublishForm form;
    ASSERT_EQ(read_publish_form(
                  R"({"destination":"/topic/a","body":"hi","headers":{"priority":5,"x":"y"}})",
                  form, FormStrictness::Lenient),
              nullptr);
    EXPECT_EQ(form.body, "hi");
    EXPECT_EQ(form.headers, (Pairs{{"x", "y"}}));
    PublishForm other;
    ASSERT_EQ(read_publish_form(R"({"destination":"/topic/a","body_base64":1,"body":"b",)"
                                R"("headers":"none"})",
                                other, FormStrictness::Lenient),
              nullptr);
    EXPECT_EQ(other.body, "b");
    EXPECT_TRUE(other.headers.empty());
}

TEST(PublishFormTest, BothRefuseWhatCannotBeAPublish) {
    for (const auto strictness : {FormStrictness::Strict, FormStrictness::Lenient}) {
        for (const char* json : {R"([1])", R"({"body":"x"})", R"({"destination":7})",
                                 R"({"destination":"/topic/a","body_base64":"!!"})",
                                 "{\"destination\":\"/topic/\\ud800\"}"}) {
            PublishForm form;
            EXPECT_NE(read_publish_form(json, form, strictness), nullptr) << json;
        }
    }
}

}  // namespace
}  // namespace stampede::broker
