// See sockjs_directory.hpp.
#include "net/sockjs_directory.hpp"

namespace stampede::broker {

SockjsDirectory::Claim SockjsDirectory::claim(std::string_view key, unsigned shard,
                                              const std::string& ip, bool count_ip,
                                              std::uint64_t max_total, std::uint64_t max_per_ip) {
    const std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(std::string(key)); it != sessions_.end()) {
        return {it->second.owner, false, GateRefusal::None};
    }
    const GateRefusal refusal = gate_.admit(ip, count_ip, max_total, max_per_ip);
    if (refusal != GateRefusal::None) {
        return {shard, false, refusal};
    }
    sessions_.emplace(std::string(key), Entry{shard, ip, count_ip});
    return {shard, true, GateRefusal::None};
}

std::optional<unsigned> SockjsDirectory::owner(std::string_view key) const {
    const std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(std::string(key)); it != sessions_.end()) {
        return it->second.owner;
    }
    return std::nullopt;
}

void SockjsDirectory::release(std::string_view key) {
    const std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(std::string(key)); it != sessions_.end()) {
        gate_.release(it->second.ip, it->second.counted_ip);
        sessions_.erase(it);
    }
}

}  // namespace stampede::broker
