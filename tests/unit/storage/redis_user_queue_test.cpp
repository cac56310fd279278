// The user-queue scripts against a real redis-server: a message is PUBLISHed when some node
// listens, kept in order when none does, bounded by max_messages (refused, or the oldest
// dropped), sent once per dedupe key; the drain takes everything once.
#include "storage/redis_user_queue.hpp"

#include <string>
#include <vector>

#include "redis_server_fixture.hpp"

namespace stampede::storage {
namespace {

using namespace std::string_literals;

class RedisUserQueueTest : public RedisServerTest {
   protected:
    std::optional<UserSendOutcome> send(const std::string& body, std::uint64_t max = 0,
                                        bool drop_oldest = false, const std::string& dedupe = "",
                                        const std::string& channel = "nobody") {
        Reply reply = run(user_send_command("p", "/user/alice/queue/in", channel, body, max,
                                            drop_oldest, dedupe));
        return parse_user_send(reply.get());
    }
    std::vector<std::string> drain() {
        Reply reply = run(user_drain_command("p", "/user/alice/queue/in"));
        auto parsed = parse_user_drain(reply.get());
        EXPECT_TRUE(parsed) << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        return parsed.value_or(std::vector<std::string>{});
    }
};

TEST_F(RedisUserQueueTest, PublishesWhenSomeNodeListensAndKeepsNothing) {
    EXPECT_EQ(send("live", 0, false, "", "chan"), UserSendOutcome::Delivered);
    EXPECT_EQ(published(), "live");
    EXPECT_TRUE(drain().empty());
}

TEST_F(RedisUserQueueTest, KeepsInOrderWhileNobodyListensAndTheDrainTakesThemOnce) {
    EXPECT_EQ(send("a"), UserSendOutcome::Stored);
    EXPECT_EQ(send("b"), UserSendOutcome::Stored);
    EXPECT_EQ(drain(), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(drain().empty());
}

TEST_F(RedisUserQueueTest, MaxMessagesRefusesOrDropsTheOldest) {
    EXPECT_EQ(send("1", 2), UserSendOutcome::Stored);
    EXPECT_EQ(send("2", 2), UserSendOutcome::Stored);
    EXPECT_EQ(send("3", 2), UserSendOutcome::Full);
    EXPECT_EQ(send("4", 2, true), UserSendOutcome::Stored);
    EXPECT_EQ(drain(), (std::vector<std::string>{"2", "4"}));
}

TEST_F(RedisUserQueueTest, ADedupeKeySendsOnce) {
    EXPECT_EQ(send("x", 0, false, "k1"), UserSendOutcome::Stored);
    EXPECT_EQ(send("x", 0, false, "k1"), UserSendOutcome::Duplicate);
    EXPECT_EQ(send("y", 0, false, "k2"), UserSendOutcome::Stored);
    EXPECT_EQ(drain(), (std::vector<std::string>{"x", "y"}));
}

TEST_F(RedisUserQueueTest, RepliesThatAreNotTheScriptsAreRefused) {
    Reply error = run({"EVAL", "return redis.error_reply('no')", "0"});
    EXPECT_FALSE(parse_user_send(error.get()));
    EXPECT_FALSE(parse_user_drain(error.get()));
    Reply other = run({"EVAL", "return 7", "0"});
    EXPECT_FALSE(parse_user_send(other.get()));
    EXPECT_FALSE(parse_user_send(nullptr));
}

}  // namespace
}  // namespace stampede::storage
