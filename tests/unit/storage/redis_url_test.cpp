// parse_redis_url: every part of redis://[user[:password]@]host[:port][/db].
#include "storage/redis_url.hpp"

#include <gtest/gtest.h>

namespace stampede::storage {
namespace {

TEST(RedisUrlTest, Defaults) {
    std::string error;
    const auto address = parse_redis_url("redis://", error);
    ASSERT_TRUE(address) << error;
    EXPECT_EQ(address->host, "127.0.0.1");
    EXPECT_EQ(address->port, 6379);
    EXPECT_EQ(address->db, 0);
    EXPECT_TRUE(address->password.empty());
}

TEST(RedisUrlTest, EveryPart) {
    std::string error;
    const auto address = parse_redis_url("redis://app:s%40cret%3A1@redis.internal:6380/3", error);
    ASSERT_TRUE(address) << error;
    EXPECT_EQ(address->username, "app");
    EXPECT_EQ(address->password, "s@cret:1");
    EXPECT_EQ(address->host, "redis.internal");
    EXPECT_EQ(address->port, 6380);
    EXPECT_EQ(address->db, 3);
}

TEST(RedisUrlTest, PasswordOnlyAndIpv6) {
    std::string error;
    auto address = parse_redis_url("redis://:pw@[::1]:7000", error);
    ASSERT_TRUE(address) << error;
    EXPECT_EQ(address->username, "");
    EXPECT_EQ(address->password, "pw");
    EXPECT_EQ(address->host, "::1");
    EXPECT_EQ(address->port, 7000);
}

TEST(RedisUrlTest, Refusals) {
    std::string error;
    for (const char* url : {"rediss://h", "http://h", "redis://h:0", "redis://h:99999",
                            "redis://h:x", "redis://h/db", "redis://u:%zz@h", "redis://[::1"}) {
        EXPECT_FALSE(parse_redis_url(url, error)) << url;
        EXPECT_FALSE(error.empty()) << url;
    }
}

}  // namespace
}  // namespace stampede::storage
