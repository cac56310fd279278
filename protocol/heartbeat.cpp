// Heart-beat header parsing and negotiation (STOMP 1.1+, "Heart-beating"). Pure.
#include "protocol/heartbeat.hpp"

#include <algorithm>
#include <charconv>

namespace stampede::protocol {

namespace {

// Digits only (no sign, no spaces), fitting in 32 bits.
std::optional<std::uint32_t> parse_ms(std::string_view text) {
    if (text.empty() || text.front() < '0' || text.front() > '9') {
        return std::nullopt;  // from_chars would accept nothing else, but be explicit
    }
    std::uint32_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<HeartBeat> parse_heartbeat(std::string_view text) {
    const std::size_t comma = text.find(',');
    if (comma == std::string_view::npos) {
        return std::nullopt;
    }
    const auto cx = parse_ms(text.substr(0, comma));
    const auto cy = parse_ms(text.substr(comma + 1));  // a second comma fails here
    if (!cx || !cy) {
        return std::nullopt;
    }
    return HeartBeat{*cx, *cy};
}

HeartBeatPlan plan_heartbeat(HeartBeat client, std::uint32_t server_ms,
                             std::uint32_t client_min_ms) {
    HeartBeatPlan plan;
    // Announce nothing the client declined: it offered 0 for that direction.
    plan.server_ms = client.cy == 0 ? 0 : server_ms;
    plan.client_ms = client.cx == 0 ? 0 : client_min_ms;
    // Spec: each direction runs at MAX(sender's offer, receiver's wish) when neither is 0.
    plan.send_every_ms = plan.server_ms != 0 && client.cy != 0 ? std::max(server_ms, client.cy) : 0;
    plan.expect_every_ms =
        plan.client_ms != 0 && client.cx != 0 ? std::max(client.cx, client_min_ms) : 0;
    return plan;
}

}  // namespace stampede::protocol
