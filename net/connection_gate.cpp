// See connection_gate.hpp.
#include "net/connection_gate.hpp"

namespace stampede::broker {

GateRefusal ConnectionGate::admit(const std::string& ip, bool count_ip, std::uint64_t max_total,
                                  std::uint64_t max_per_ip) {
    std::lock_guard lock(mutex_);
    if (max_total != 0 && total_ >= max_total) {
        ++refused_node_;
        return GateRefusal::NodeFull;
    }
    if (count_ip) {
        std::uint64_t& mine = per_ip_[ip];
        if (max_per_ip != 0 && mine >= max_per_ip) {
            ++refused_address_;
            return GateRefusal::AddressFull;
        }
        ++mine;
    }
    ++total_;
    return GateRefusal::None;
}

void ConnectionGate::release(const std::string& ip, bool counted_ip) {
    std::lock_guard lock(mutex_);
    if (total_ > 0) {
        --total_;
    }
    if (!counted_ip) {
        return;
    }
    // Entries go when their count does, so the table holds only addresses with connections.
    if (const auto it = per_ip_.find(ip); it != per_ip_.end() && --it->second == 0) {
        per_ip_.erase(it);
    }
}

std::uint64_t ConnectionGate::open() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::uint64_t ConnectionGate::refused(GateRefusal why) const {
    std::lock_guard lock(mutex_);
    return why == GateRefusal::NodeFull ? refused_node_ : refused_address_;
}

}  // namespace stampede::broker
