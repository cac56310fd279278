// See redis_values.hpp.
#include "storage/redis_values.hpp"

#include <hiredis/hiredis.h>

#include <charconv>

namespace stampede::storage {

std::string redis_key(std::string_view prefix, std::string_view kind, std::string_view name) {
    std::string out(prefix);
    out.append(":").append(kind).append(":").append(name);
    return out;
}

std::optional<std::uint64_t> reply_number(const redisReply* reply) {
    if (reply == nullptr) {
        return std::nullopt;
    }
    if (reply->type == REDIS_REPLY_INTEGER) {
        return reply->integer < 0
                   ? std::nullopt
                   : std::optional<std::uint64_t>(static_cast<std::uint64_t>(reply->integer));
    }
    if (reply->type == REDIS_REPLY_STRING) {
        std::uint64_t value = 0;
        const char* end = reply->str + reply->len;
        const auto [at, error] = std::from_chars(reply->str, end, value);
        if (error == std::errc{} && at == end) {
            return value;
        }
    }
    return std::nullopt;
}

std::optional<std::string> reply_text(const redisReply* reply) {
    if (reply == nullptr ||
        (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) {
        return std::nullopt;
    }
    return std::string(reply->str, reply->len);
}

}  // namespace stampede::storage
