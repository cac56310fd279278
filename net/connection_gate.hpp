// ConnectionGate: limits.max_connections (per node) and limits.max_connections_per_ip, checked
// when a socket is accepted, before lws sees it. Every shard counts through the one gate; a
// connection's slot is given back when lws destroys its wsi (LWS_CALLBACK_WSI_DESTROY: every
// way a connection ends goes through it). Any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

struct lws;

namespace stampede::broker {

enum class GateRefusal { None, NodeFull, AddressFull };

/// What accepting a socket asks of the shard that accepts it (the Shard implements it).
class ConnectionSlots {
   public:
    /// A slot for a socket just accepted from `ip`; `counted`: whether `ip` itself counts (a
    /// trusted proxy's does not).
    virtual GateRefusal admit_connection(const std::string& ip, bool& counted) = 0;
    /// The slot is the wsi's until LWS_CALLBACK_WSI_DESTROY.
    virtual void track_connection(lws* wsi, const std::string& ip, bool counted) = 0;
    /// lws did not take the socket: the slot goes back at once.
    virtual void release_connection(const std::string& ip, bool counted) = 0;

   protected:
    ~ConnectionSlots() = default;
};

class ConnectionGate {
   public:
    /// Takes a slot for a connection from `ip` (its socket's peer address); `count_ip` false
    /// for a trusted proxy, whose many clients are not one address. 0 = no limit.
    GateRefusal admit(const std::string& ip, bool count_ip, std::uint64_t max_total,
                      std::uint64_t max_per_ip);
    void release(const std::string& ip, bool counted_ip);

    std::uint64_t open() const;
    std::uint64_t refused(GateRefusal why) const;

   private:
    mutable std::mutex mutex_;
    std::uint64_t total_ = 0;
    std::unordered_map<std::string, std::uint64_t> per_ip_;
    std::uint64_t refused_node_ = 0;
    std::uint64_t refused_address_ = 0;
};

}  // namespace stampede::broker
