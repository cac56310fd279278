// See redis_history.hpp.
#include "storage/redis_history.hpp"

#include <hiredis/hiredis.h>

#include "storage/redis_values.hpp"

namespace stampede::storage {

namespace {

// KEYS: seq, stream, epoch, dedupe. ARGV: channel, envelope, max_messages, max_age_ms, new
// epoch, dedupe ("" = none). Redis 7 replicates a script's effects, so TIME may decide what
// is written.
constexpr std::string_view kPublishScript = R"lua(
if ARGV[6] ~= '' and not redis.call('SET', KEYS[4], '1', 'NX', 'PX', '5000') then
  return {0, 'duplicate'}
end
local epoch = redis.call('GET', KEYS[3])
if not epoch then
  epoch = ARGV[5]
  redis.call('SET', KEYS[3], epoch)
end
local seq = redis.call('INCR', KEYS[1])
local env = 'MESSAGE\nx-seq:' .. seq .. '\nx-epoch:' .. epoch .. string.sub(ARGV[2], 8)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', 's', seq, 'e', env)
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('XTRIM', KEYS[2], 'MINID', tostring(now_ms - tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[1], env)
return {seq, epoch}
)lua";

// KEYS: seq, stream, epoch. ARGV: mode ("last" | "since"), count or seq, max_messages,
// max_age_ms, new epoch (when Redis has none: a reader learns the epoch of what follows). The
// numbers in a stream are consecutive, so the last k entries are exactly latest-k+1 .. latest.
constexpr std::string_view kReadScript = R"lua(
redis.call('SET', KEYS[3], ARGV[5], 'NX')
local epoch = redis.call('GET', KEYS[3])
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('XTRIM', KEYS[2], 'MINID', tostring(now_ms - tonumber(ARGV[4])))
local count = tonumber(ARGV[2])
if ARGV[1] == 'since' then
  count = latest - count
end
count = math.min(count, tonumber(ARGV[3]))
local first = latest + 1
local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #oldest > 0 then
  first = tonumber(oldest[1][2][2])
end
local out = {epoch, latest, first}
if count > 0 then
  local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', count)
  for i = #entries, 1, -1 do
    out[#out + 1] = entries[i][2][4]
  end
end
return out
)lua";

}  // namespace

std::vector<std::string> room_publish_command(std::string_view prefix, std::string_view room,
                                              std::string_view channel, std::string_view envelope,
                                              std::uint64_t max_messages, std::int64_t max_age_ms,
                                              std::string_view new_epoch, std::string_view dedupe) {
    return {"EVAL",
            std::string(kPublishScript),
            "4",
            redis_key(prefix, "seq", room),
            redis_key(prefix, "h", room),
            std::string(prefix) + ":epoch",
            redis_key(prefix, "bp", dedupe),
            std::string(channel),
            std::string(envelope),
            std::to_string(max_messages),
            std::to_string(max_age_ms),
            std::string(new_epoch),
            std::string(dedupe)};
}

bool is_duplicate_publish(const redisReply* reply) {
    return reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
           reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[0]->integer == 0;
}

std::optional<RoomPublishReply> parse_room_publish(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        return std::nullopt;
    }
    const auto seq = reply_number(reply->element[0]);
    auto epoch = reply_text(reply->element[1]);
    if (!seq || *seq == 0 || !epoch || epoch->empty()) {
        return std::nullopt;
    }
    return RoomPublishReply{*seq, std::move(*epoch)};
}

std::vector<std::string> room_read_command(std::string_view prefix, std::string_view room,
                                           bool since, std::uint64_t count_or_seq,
                                           std::uint64_t max_messages, std::int64_t max_age_ms,
                                           std::string_view new_epoch) {
    return {"EVAL",
            std::string(kReadScript),
            "3",
            redis_key(prefix, "seq", room),
            redis_key(prefix, "h", room),
            std::string(prefix) + ":epoch",
            since ? "since" : "last",
            std::to_string(count_or_seq),
            std::to_string(max_messages),
            std::to_string(max_age_ms),
            std::string(new_epoch)};
}

std::optional<RoomReadReply> parse_room_read(const redisReply* reply) {
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) {
        return std::nullopt;
    }
    RoomReadReply out;
    auto epoch = reply_text(reply->element[0]);
    const auto latest = reply_number(reply->element[1]);
    const auto first = reply_number(reply->element[2]);
    if (!epoch || !latest || !first) {
        return std::nullopt;
    }
    out.epoch = std::move(*epoch);
    out.latest = *latest;
    out.first = *first;
    for (std::size_t i = 3; i < reply->elements; ++i) {
        auto envelope = reply_text(reply->element[i]);
        if (!envelope) {
            return std::nullopt;
        }
        out.envelopes.push_back(std::move(*envelope));
    }
    return out;
}

}  // namespace stampede::storage
