// redis://[user[:password]@]host[:port][/db] -> its parts. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stampede::storage {

struct RedisAddress {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string username;  // empty: AUTH with the password only (Redis < 6 style)
    std::string password;
    int db = 0;
};

/// nullopt (and `error` set) when the URL is not redis://... or a part does not parse.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& error);

}  // namespace stampede::storage
