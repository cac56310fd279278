// claim_json: a claim of a verified payload as JSON text, by name or JSON Pointer.
#include "auth/claims.hpp"

#include <gtest/gtest.h>

namespace stampede::auth {
namespace {

TEST(ClaimsTest, ByNameOrPointerAsCompactJson) {
    const std::string payload = R"({"sub":"alice","name":"Alice \"A\"","profile":{"avatar":3,
        "tags":["a","b"]}})";
    EXPECT_EQ(claim_json(payload, "name"), R"("Alice \"A\"")");
    EXPECT_EQ(claim_json(payload, "profile"), R"({"avatar":3,"tags":["a","b"]})");
    EXPECT_EQ(claim_json(payload, "/profile/avatar"), "3");
    EXPECT_EQ(claim_json(payload, "/profile/tags/1"), R"("b")");
}

TEST(ClaimsTest, AbsentOrUnusableIsEmpty) {
    EXPECT_EQ(claim_json(R"({"sub":"alice"})", "name"), "");
    EXPECT_EQ(claim_json(R"({"sub":"alice"})", "/profile/x"), "");
    EXPECT_EQ(claim_json("", "name"), "");  // a service account or an anonymous session
    EXPECT_EQ(claim_json("not json", "name"), "");
    EXPECT_EQ(claim_json(R"({"sub":"alice"})", ""), "");
}

}  // namespace
}  // namespace stampede::auth
