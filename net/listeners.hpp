// Listening: the node's listening sockets (opened by the server before the shards start,
// every shard its own SO_REUSEPORT socket per listener) and a shard's accept loop, which hands
// each new socket to lws. Shard thread only, except the socket functions (main thread).
#pragma once

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "net/connection_gate.hpp"

struct lws_vhost;

namespace stampede::broker {

class Logger;
class Shard;

/// One listener as a shard sees it: the config (restart-only, so copied) and its socket.
struct ShardListener {
    config::ListenerConfig config;
    int fd = -1;  // this shard's SO_REUSEPORT listening socket
    Shard* shard = nullptr;
    lws_vhost* vhost = nullptr;
    // Connections lws refused at adoption (for TLS: the first handshake step failed), logged
    // once per interval with their count: a port scanner must not flood the log.
    std::uint64_t refused = 0;
    std::int64_t refused_logged_at = 0;  // steady clock, seconds
    // Connections refused by limits.max_connections(_per_ip), logged likewise.
    std::uint64_t refused_limit = 0;
    std::int64_t refused_limit_logged_at = 0;
};

/// True when something already listens on host:port (0: never): see listeners.cpp.
bool port_in_use(const std::string& host, std::uint16_t port);
/// One non-blocking SO_REUSEPORT listening socket; -1 and `error` set on failure.
int open_listening_socket(const std::string& host, std::uint16_t port, std::string& error);
/// The port a socket is bound to (the real one after asking for 0).
std::uint16_t bound_port(int fd);

/// Accepts every pending connection on `listener` and hands each to lws.
void accept_connections(ShardListener& listener, ConnectionSlots& slots, Logger& log);

}  // namespace stampede::broker
