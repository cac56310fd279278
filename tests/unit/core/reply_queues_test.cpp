// Temporary reply queues: the /reply-queue/ address, the reply-to rewrite of a SEND, and the
// checks of a SEND to /reply-queue/ and /temp-queue/.
#include "core/reply_queues.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stampede::broker {
namespace {

TEST(ReplyQueues, ParsesShardSessionAndName) {
    const auto to = parse_reply_queue("/reply-queue/1-42.answers.v2");
    ASSERT_TRUE(to.has_value());
    EXPECT_EQ(to->shard, 1u);
    EXPECT_EQ(to->session, 42u);
    EXPECT_EQ(to->name, "answers.v2");
    EXPECT_EQ(to->temp_destination(), "/temp-queue/answers.v2");
    EXPECT_EQ(reply_queue_of("1-42", "answers.v2"), "/reply-queue/1-42.answers.v2");
}

TEST(ReplyQueues, RefusesMalformedAddresses) {
    for (const char* bad :
         {"/reply-queue/", "/reply-queue/1-42", "/reply-queue/1-42.", "/reply-queue/142.x",
          "/reply-queue/a-1.x", "/reply-queue/1-b.x", "/reply-queue/-1.x", "/reply-queue/1-.x",
          "/reply-queue/1.2-3.x", "/temp-queue/x", "/queue/1-2.x"}) {
        EXPECT_FALSE(parse_reply_queue(bad).has_value()) << bad;
    }
}

TEST(ReplyQueues, TempQueueName) {
    EXPECT_EQ(temp_queue_name("/temp-queue/a"), "a");
    EXPECT_EQ(temp_queue_name("/temp-queue/"), "");
    EXPECT_FALSE(temp_queue_name("/queue/a").has_value());
}

TEST(ReplyQueues, RewritesTheFirstReplyToOfAStompSend) {
    const std::vector<protocol::Header> headers = {
        {"destination", "/queue/rpc"},
        {"reply-to", "/temp-queue/answers"},
        {"reply-to", "/temp-queue/ignored"},
    };
    PublishRequest request;
    request.frame_headers = &headers;
    request.session_name = "0-7";
    std::vector<protocol::Header> rewritten;
    std::string storage;
    const auto* out = rewrite_reply_to(request, rewritten, storage);
    ASSERT_EQ(out, &rewritten);
    EXPECT_EQ(rewritten[1].value, "/reply-queue/0-7.answers");
    EXPECT_EQ(rewritten[2].value, "/temp-queue/ignored");
    EXPECT_EQ(headers[1].value, "/temp-queue/answers");  // the frame itself is untouched
}

TEST(ReplyQueues, LeavesOtherReplyTosAndSessionlessSendsAlone) {
    const std::vector<protocol::Header> plain = {{"reply-to", "/queue/answers"}};
    const std::vector<protocol::Header> temp = {{"reply-to", "/temp-queue/a"}};
    std::vector<protocol::Header> rewritten;
    std::string storage;
    PublishRequest request;
    request.frame_headers = &plain;
    request.session_name = "0-7";
    EXPECT_EQ(rewrite_reply_to(request, rewritten, storage), &plain);
    request.frame_headers = &temp;
    request.session_name = "";  // HTTP: no connection to reply to
    EXPECT_EQ(rewrite_reply_to(request, rewritten, storage), &temp);
}

TEST(ReplyQueues, ChecksOfASend) {
    PublishRequest request;
    request.destination = "/queue/x";
    EXPECT_FALSE(check_reply_send(request).has_value());
    request.destination = "/reply-queue/0-1.x";
    EXPECT_EQ(check_reply_send(request)->error, PublishError::None);  // no ACL
    request.destination = "/reply-queue/0-1";
    EXPECT_EQ(check_reply_send(request)->error, PublishError::BadDestination);
    request.destination = "/temp-queue/x";
    EXPECT_EQ(check_reply_send(request)->error, PublishError::BadDestination);
    request.destination = "/reply-queue/0-1.x";
    request.source = PublishSource::Backend;
    EXPECT_EQ(check_reply_send(request)->error, PublishError::NotATopic);
    EXPECT_EQ(protocol::close_reason_text(close_reason(PublishError::BadDestination)),
              "bad destination");
}

}  // namespace
}  // namespace stampede::broker
