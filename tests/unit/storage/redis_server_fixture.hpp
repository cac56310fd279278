// A real redis-server for the redis backend's script tests, started on a free loopback port
// for each test and killed after it: `context_` runs commands, `subscriber_` is SUBSCRIBEd to
// `chan` and sees what the scripts PUBLISH there.
#pragma once

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

using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

inline int free_port() {
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

class RedisServerTest : public ::testing::Test {
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
    /// The next message PUBLISHed to `chan` (blocks until one comes).
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

}  // namespace stampede::storage
