// The redis backend's scripts against a real redis-server (started here on a free loopback
// port): numbering, the stamped envelope that is published and kept, trimming, and the
// replay reads. The same cases as the memory and file backends' tests (rooms_tests).
#include "storage/redis_history.hpp"

#include <string>
#include <vector>

#include "redis_server_fixture.hpp"

namespace stampede::storage {
namespace {

using namespace std::string_literals;

class RedisHistoryTest : public RedisServerTest {
   protected:
    RoomPublishReply publish(const std::string& room, const std::string& body,
                             std::uint64_t max_messages = 100, std::int64_t max_age_ms = 3600000) {
        const std::string envelope = "MESSAGE\ndestination:" + room + "\n\n" + body + '\0';
        Reply reply = run(
            room_publish_command("p", room, "chan", envelope, max_messages, max_age_ms, "e-new"));
        auto parsed = parse_room_publish(reply.get());
        EXPECT_TRUE(parsed) << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        return parsed.value_or(RoomPublishReply{});
    }
    RoomReadReply read(const std::string& room, bool since, std::uint64_t n,
                       std::uint64_t max_messages = 100, std::int64_t max_age_ms = 3600000) {
        Reply reply =
            run(room_read_command("p", room, since, n, max_messages, max_age_ms, "e-new"));
        auto parsed = parse_room_read(reply.get());
        EXPECT_TRUE(parsed) << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        return parsed.value_or(RoomReadReply{});
    }
};

TEST_F(RedisHistoryTest, NumbersPerRoomAndPublishesTheStampedEnvelope) {
    const auto first = publish("/topic/room.a", "one");
    EXPECT_EQ(first.seq, 1u);
    EXPECT_EQ(first.epoch, "e-new");
    EXPECT_EQ(published(),
              "MESSAGE\nx-seq:1\nx-epoch:e-new\ndestination:/topic/room.a\n\none"s + '\0');
    EXPECT_EQ(publish("/topic/room.a", "two").seq, 2u);
    EXPECT_EQ(publish("/topic/room.b", "x").seq, 1u);
    // The epoch is made once: a later publisher's candidate is ignored.
    Reply reply = run(room_publish_command("p", "/topic/room.a", "chan", "MESSAGE\n\nz"s + '\0',
                                           100, 3600000, "e-other"));
    EXPECT_EQ(parse_room_publish(reply.get())->epoch, "e-new");
}

TEST_F(RedisHistoryTest, KeepsTheLastMaxMessagesAndReadsTheLastN) {
    for (int i = 1; i <= 5; ++i) {
        publish("/topic/room.a", "m" + std::to_string(i), 3);
    }
    RoomReadReply last = read("/topic/room.a", false, 10, 3);
    EXPECT_EQ(last.epoch, "e-new");
    EXPECT_EQ(last.latest, 5u);
    EXPECT_EQ(last.first, 3u);
    ASSERT_EQ(last.envelopes.size(), 3u);
    EXPECT_NE(last.envelopes[0].find("x-seq:3\n"), std::string::npos);
    EXPECT_NE(last.envelopes[2].find("x-seq:5\n"), std::string::npos);
    EXPECT_EQ(read("/topic/room.a", false, 2, 3).envelopes.size(), 2u);
    EXPECT_EQ(read("/topic/room.a", false, 0, 3).envelopes.size(), 0u);
}

TEST_F(RedisHistoryTest, SinceReadsWhatFollowsAndTellsWhereHistoryStarts) {
    for (int i = 1; i <= 5; ++i) {
        publish("/topic/room.a", "m" + std::to_string(i), 3);
    }
    RoomReadReply since = read("/topic/room.a", true, 3, 3);
    ASSERT_EQ(since.envelopes.size(), 2u);
    EXPECT_NE(since.envelopes[0].find("x-seq:4\n"), std::string::npos);
    EXPECT_EQ(read("/topic/room.a", true, 5, 3).envelopes.size(), 0u);
    EXPECT_EQ(read("/topic/room.a", true, 9, 3).envelopes.size(), 0u);
    EXPECT_EQ(read("/topic/room.a", true, 0, 3).envelopes.size(), 3u);  // capped at what is kept
    RoomReadReply none = read("/topic/room.none", true, 0, 3);
    EXPECT_EQ(none.latest, 0u);
    EXPECT_EQ(none.first, 1u);
}

TEST_F(RedisHistoryTest, MessagesOlderThanMaxAgeAreTrimmed) {
    publish("/topic/room.a", "old", 100, 50);
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
    publish("/topic/room.a", "new", 100, 50);
    RoomReadReply last = read("/topic/room.a", false, 10, 100, 50);
    ASSERT_EQ(last.envelopes.size(), 1u);
    EXPECT_NE(last.envelopes[0].find("x-seq:2\n"), std::string::npos);
    EXPECT_EQ(last.first, 2u);
    EXPECT_EQ(last.latest, 2u);
}

TEST_F(RedisHistoryTest, ABackendPublishEveryNodeReceivesIsNumberedOnce) {
    const std::string envelope = "MESSAGE\ndestination:/topic/room.a\n\nx"s + '\0';
    Reply first =
        run(room_publish_command("p", "/topic/room.a", "chan", envelope, 100, 3600000, "e", "k1"));
    Reply second =
        run(room_publish_command("p", "/topic/room.a", "chan", envelope, 100, 3600000, "e", "k1"));
    EXPECT_EQ(parse_room_publish(first.get())->seq, 1u);
    EXPECT_FALSE(parse_room_publish(second.get()));
    EXPECT_TRUE(is_duplicate_publish(second.get()));
    EXPECT_FALSE(is_duplicate_publish(first.get()));
    EXPECT_EQ(publish("/topic/room.a", "other").seq, 2u);
    // A reader of a room nothing was published to learns the epoch of what will follow.
    EXPECT_EQ(read("/topic/room.fresh", false, 5).epoch, "e");
}

TEST_F(RedisHistoryTest, RepliesThatAreNotTheScriptsAreRefused) {
    Reply error = run({"EVAL", "return redis.error_reply('boom')", "0"});
    EXPECT_FALSE(parse_room_publish(error.get()));
    EXPECT_FALSE(parse_room_read(error.get()));
    EXPECT_FALSE(parse_room_publish(nullptr));
    Reply wrong = run({"EVAL", "return {1}", "0"});
    EXPECT_FALSE(parse_room_publish(wrong.get()));
    EXPECT_FALSE(parse_room_read(wrong.get()));
}

}  // namespace
}  // namespace stampede::storage
