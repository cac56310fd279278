// RevocationSync: the cluster-wide jti deny-list, the Redis SET <prefix>:revoked. Read on
// every relay tick (SMEMBERS), so a logout on any node (SADD <prefix>:revoked <jti>) reaches
// every node within a tick; the shards are told only when the set changed. Home shard only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace stampede::storage {
class RedisConnection;
}

namespace stampede::broker {

class RevocationSync {
   public:
    using ChangedFn = std::function<void(std::shared_ptr<const std::vector<std::string>>)>;

    explicit RevocationSync(std::string key) : key_(std::move(key)) {}
    void on_change(ChangedFn callback) { changed_ = std::move(callback); }
    /// Asks `redis` for the set, unless the last ask is still unanswered.
    void poll(storage::RedisConnection& redis);

   private:
    std::string key_;
    ChangedFn changed_;
    std::vector<std::string> revoked_;  // sorted, as last read
    bool in_flight_ = false;
};

}  // namespace stampede::broker
