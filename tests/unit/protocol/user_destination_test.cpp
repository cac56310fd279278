// User destination names: the principal's percent-encoding both ways, the SEND and SUBSCRIBE
// forms, the internal queue name and what its MESSAGEs show.
#include "protocol/user_destination.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/message.hpp"

namespace stampede::protocol {
namespace {

TEST(UserDestination, EncodesOnlyPercentSlashAndDot) {
    EXPECT_EQ(encode_principal("alice"), "alice");
    EXPECT_EQ(encode_principal("ops.team/eu"), "ops%2Eteam%2Feu");
    EXPECT_EQ(encode_principal("100%"), "100%25");
    EXPECT_EQ(encode_principal("a b*#"), "a b*#");
}

TEST(UserDestination, DecodesTheThreeEscapesInEitherCase) {
    EXPECT_EQ(decode_principal("ops%2Eteam%2feu"), "ops.team/eu");
    EXPECT_EQ(decode_principal("ops%2eteam%2Feu"), "ops.team/eu");
    EXPECT_EQ(decode_principal("100%25"), "100%");
    EXPECT_EQ(decode_principal("plain.dots"), "plain.dots");
    for (const char* encoded : {"ops.team/eu", "100%", "%", "a.b%c"}) {
        EXPECT_EQ(decode_principal(encode_principal(encoded)), encoded) << encoded;
    }
}

TEST(UserDestination, RefusesOtherEscapesTruncatedOnesAndEmptyPrincipals) {
    for (const char* bad : {"al%41ice", "alice%2", "alice%", "%", "%zz", "%2G", "%3F", ""}) {
        EXPECT_FALSE(decode_principal(bad).has_value()) << bad;
    }
}

TEST(UserDestination, OwnQueueNameOfASubscribe) {
    EXPECT_EQ(own_user_queue_name("/user/queue/inbox"), "inbox");
    EXPECT_EQ(own_user_queue_name("/user/queue/a.b/c"), "a.b/c");
    EXPECT_FALSE(own_user_queue_name("/user/queue/").has_value());
    EXPECT_FALSE(own_user_queue_name("/user/alice/queue/inbox").has_value());
    EXPECT_FALSE(own_user_queue_name("/queue/inbox").has_value());
}

TEST(UserDestination, ParsesASend) {
    UserQueueAddress to = parse_user_send("/user/ops%2Eteam%2Feu/queue/alerts.high");
    EXPECT_EQ(to.error, "");
    EXPECT_EQ(to.principal, "ops.team/eu");
    EXPECT_EQ(to.name, "alerts.high");
    for (const char* bad :
         {"/user/alice", "/user/alice/", "/user/alice/topic/x", "/user/alice/queue/",
          "/user//queue/x", "/user/al%41ice/queue/x", "/user/alice/queuex", "/queue/x"}) {
        EXPECT_NE(parse_user_send(bad).error, "") << bad;
    }
}

TEST(UserDestination, InternalNameAndWhatSubscribersSee) {
    EXPECT_EQ(user_queue_name("alice", "inbox"), "/user/alice/queue/inbox");
    EXPECT_EQ(user_queue_name("ops.team/eu", "a/b"), "/user/ops%2Eteam%2Feu/queue/a/b");
    EXPECT_EQ(shown_user_destination("/user/ops%2Eteam%2Feu/queue/a/b"), "/user/queue/a/b");
    EXPECT_FALSE(shown_user_destination("/queue/inbox").has_value());
    EXPECT_FALSE(shown_user_destination("/user/alice/topic/x").has_value());
}

TEST(UserDestination, AUserQueueMessageShowsTheSubscribersName) {
    const MessagePtr m =
        Message::make("/user/alice/queue/inbox", "1", "n", "bob", std::vector<Header>{}, "hi");
    EXPECT_EQ(m->destination, "/user/alice/queue/inbox");  // routed by its internal name
    for (const std::string& block : m->encoded_headers) {
        EXPECT_TRUE(block.starts_with("destination:/user/queue/inbox\n")) << block;
    }
}

}  // namespace
}  // namespace stampede::protocol
