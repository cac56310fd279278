// The redis backend's scripts against a real redis-server (started here on a free loopback
// port): numbering, the stamped envelope that is published and kept, trimming, and the
// replay reads. The same cases as the memory and file backends' tests (rooms_tests).
#include "storage/redis_history.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace stampede::storage {
namespace {

using namespace std::string_literals;

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

class RedisHistoryTest : public ::testing::Test {
   protected:
    void SetUp() override {
        ASSERT_EQ(::access("/usr/bin/redis-server", X_OK), 0)
            << "redis-server is missing (make test installs it)";
        port_ = free_port();
        server_ = ::fork();
        if (server_ == 0) {
            const std::string port = std::to_string(port_);
            ::execl("/usr/bin/redis-server", "redis-server", "--port", port.c_str(), "--bind",
                    "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning",
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 200 && context_ == nullptr; ++i) {
            redisContext* context = redisConnect("127.0.0.1", port_);
            if (context != nullptr && context->err == 0) {
                context_ = context;
            } else {
                redisFree(context);
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            }
        }
        ASSERT_NE(context_, nullptr) << "redis-server did not answer";
        subscriber_ = redisConnect("127.0.0.1", port_);
        ASSERT_EQ(subscriber_->err, 0);
        Reply(static_cast<redisReply*>(redisCommand(subscriber_, "SUBSCRIBE chan")),
              freeReplyObject);
    }
    void TearDown() override {
        redisFree(context_);
        redisFree(subscriber_);
        if (server_ > 0) {
            ::kill(server_, SIGKILL);
            ::waitpid(server_, nullptr, 0);
        }
    }
    Reply run(const std::vector<std::string>& argv) {
        std::vector<const char*> args;
        std::vector<std::size_t> lengths;
        for (const auto& arg : argv) {
            args.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        return Reply(static_cast<redisReply*>(redisCommandArgv(
                         context_, static_cast<int>(args.size()), args.data(), lengths.data())),
                     freeReplyObject);
    }
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
    std::string published() {
        redisReply* raw = nullptr;
        EXPECT_EQ(redisGetReply(subscriber_, reinterpret_cast<void**>(&raw)), REDIS_OK);
        Reply reply(raw, freeReplyObject);
        return reply && reply->elements == 3
                   ? std::string(reply->element[2]->str, reply->element[2]->len)
                   : std::string();
    }

    int port_ = 0;
    pid_t server_ = -1;
    redisContext* context_ = nullptr;
    redisContext* subscriber_ = nullptr;
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
