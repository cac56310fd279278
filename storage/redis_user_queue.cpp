// See redis_user_queue.hpp.
#include "storage/redis_user_queue.hpp"

#include <hiredis/hiredis.h>

#include "storage/redis_values.hpp"

namespace stampede::storage {

namespace {

// KEYS: list, dedupe. ARGV: channel, envelope, max_messages (0 = no bound), "drop" | "reject",
// dedupe ("" = none). Answers 1 delivered, 0 stored, -1 full, -2 duplicate.
constexpr std::string_view kSendScript = R"lua(
if ARGV[5] ~= '' and not redis.call('SET', KEYS[2], '1', 'NX', 'PX', '5000') then
  return -2
end
if redis.call('PUBLISH', ARGV[1], ARGV[2]) > 0 then
  return 1
end
local max = tonumber(ARGV[3])
if max > 0 and redis.call('LLEN', KEYS[1]) >= max then
  if ARGV[4] ~= 'drop' then
    return -1
  end
  redis.call('LPOP', KEYS[1])
end
redis.call('RPUSH', KEYS[1], ARGV[2])
return 0
)lua";

// KEYS: list. Every waiting envelope, oldest first, and the list is gone.
constexpr std::string_view kDrainScript = R"lua(
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
)lua";

}  // namespace

std::vector<std::string> user_send_command(std::string_view prefix, std::string_view queue,
                                           std::string_view channel, std::string_view envelope,
                                           std::uint64_t max_messages, bool drop_oldest,
                                           std::string_view dedupe) {
    return {"EVAL",
            std::string(kSendScript),
            "2",
            redis_key(prefix, "uq", queue),
            redis_key(prefix, "ud", dedupe),
            std::string(channel),
            std::string(envelope),
            std::to_string(max_messages),
            drop_oldest ? "drop" : "reject",
            std::string(dedupe)};
}

std::optional<UserSendOutcome> parse_user_send(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
        return std::nullopt;
    }
    switch (reply->integer) {
        case 1:
            return UserSendOutcome::Delivered;
        case 0:
            return UserSendOutcome::Stored;
        case -1:
            return UserSendOutcome::Full;
        case -2:
            return UserSendOutcome::Duplicate;
        default:
            return std::nullopt;
    }
}

std::vector<std::string> user_drain_command(std::string_view prefix, std::string_view queue) {
    return {"EVAL", std::string(kDrainScript), "1", redis_key(prefix, "uq", queue)};
}

std::optional<std::vector<std::string>> parse_user_drain(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(reply->elements);
    for (std::size_t i = 0; i < reply->elements; ++i) {
        auto envelope = reply_text(reply->element[i]);
        if (!envelope) {
            return std::nullopt;
        }
        out.push_back(std::move(*envelope));
    }
    return out;
}

}  // namespace stampede::storage
