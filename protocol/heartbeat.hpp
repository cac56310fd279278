// Heart-beat negotiation arithmetic (STOMP 1.1+), pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace stampede::protocol {

struct HeartBeat {
    std::uint32_t cx = 0;  // first number: what the sender can send (ms), 0 = cannot
    std::uint32_t cy = 0;  // second number: what the sender wants to receive (ms), 0 = none
};

/// Parses "cx,cy"; nullopt when malformed (not two non-negative integers).
std::optional<HeartBeat> parse_heartbeat(std::string_view text);

struct HeartBeatPlan {
    std::uint32_t server_ms = 0;        // value put in CONNECTED heart-beat, first number
    std::uint32_t client_ms = 0;        // CONNECTED second number
    std::uint32_t send_every_ms = 0;    // broker sends an EOL this often; 0 = never
    std::uint32_t expect_every_ms = 0;  // broker expects traffic this often; 0 = never
};

/// server_ms / client_min_ms come from the config (heartbeat.server_ms, client_min_ms).
/// CONNECTED carries "server_ms,client_min_ms", or 0 where the client offered 0.
/// send_every = max(server_ms, client.cy) if both non-zero; expect_every = max(client.cx,
/// client_min_ms) if both non-zero.
HeartBeatPlan plan_heartbeat(HeartBeat client, std::uint32_t server_ms,
                             std::uint32_t client_min_ms);

}  // namespace stampede::protocol
