// SockjsDirectory: which shard owns each SockJS session of the node, and the session count
// limits. A SockJS session outlives its HTTP requests, and consecutive requests of one session
// land on any shard (every shard accepts on the port), so a request finds the session's owner
// here and reaches it through that shard's inbox. Node-wide, any thread (one mutex, held for a
// hash lookup).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/connection_gate.hpp"

namespace stampede::broker {

class SockjsDirectory {
   public:
    struct Claim {
        unsigned owner = 0;
        bool created = false;  // the caller's shard is the owner and must make the session
        GateRefusal refusal = GateRefusal::None;
    };
    /// The owner of `key`, or, when there is none, `shard` becomes it, if the session limits
    /// (limits.max_connections / max_connections_per_ip, counted over SockJS sessions) allow.
    Claim claim(std::string_view key, unsigned shard, const std::string& ip, bool count_ip,
                std::uint64_t max_total, std::uint64_t max_per_ip);
    std::optional<unsigned> owner(std::string_view key) const;
    /// The session is gone: its key is free and its slot given back.
    void release(std::string_view key);
    std::uint64_t open() const { return gate_.open(); }

   private:
    struct Entry {
        unsigned owner;
        std::string ip;
        bool counted_ip;
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Entry> sessions_;
    ConnectionGate gate_;  // its own lock, taken under ours
};

}  // namespace stampede::broker
