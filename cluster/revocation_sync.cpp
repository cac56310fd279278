// See revocation_sync.hpp.
#include "cluster/revocation_sync.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>

#include "storage/redis_conn.hpp"

namespace stampede::broker {

void RevocationSync::poll(storage::RedisConnection& redis) {
    if (in_flight_ || !changed_) {
        return;
    }
    in_flight_ = redis.command({"SMEMBERS", key_}, [this](const redisReply* reply) {
        in_flight_ = false;
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
            return;
        }
        std::vector<std::string> members;
        members.reserve(reply->elements);
        for (std::size_t i = 0; i < reply->elements; ++i) {
            const redisReply* item = reply->element[i];
            if (item->type == REDIS_REPLY_STRING) {
                members.emplace_back(item->str, item->len);
            }
        }
        std::sort(members.begin(), members.end());
        if (members != revoked_) {
            revoked_ = members;
            changed_(std::make_shared<const std::vector<std::string>>(std::move(members)));
        }
    });
}

}  // namespace stampede::broker
