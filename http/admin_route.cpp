// See admin_route.hpp.
#include "http/admin_route.hpp"

#include <charconv>

#include "http/http_values.hpp"

namespace stampede::broker {
namespace {

constexpr std::string_view kConnections = "/connections";
constexpr std::string_view kDestinations = "/destinations";
constexpr std::string_view kRooms = "/rooms/";
constexpr std::string_view kMembers = "/members/";

template <typename T>
bool parse_number(std::string_view text, T& out) {
    const char* last = text.data() + text.size();
    const auto [end, error] = std::from_chars(text.data(), last, out);
    return !text.empty() && error == std::errc() && end == last;
}

AdminRoute room_member(std::string_view rest) {
    // The room holds '/' (encoded or not: a client or a proxy may decode "%2F"), the
    // principal may too, so the split is at the last "/members/".
    AdminRoute route;
    const std::size_t split = rest.rfind(kMembers);
    if (split == std::string_view::npos) {
        return route;
    }
    auto room = percent_decode(rest.substr(0, split));
    auto principal = percent_decode(rest.substr(split + kMembers.size()));
    if (!room || !principal || principal->empty()) {
        return route;
    }
    // "%2Ftopic%2Froom.42" and "topic/room.42" both name "/topic/room.42" (the latter as
    // /stampede/leave/topic/room.42 does).
    if (!room->starts_with('/')) {
        room->insert(0, 1, '/');
    }
    if (room->size() < 2) {
        return route;
    }
    route.kind = AdminRoute::Kind::RoomMember;
    route.room = std::move(*room);
    route.principal = std::move(*principal);
    return route;
}

}  // namespace

std::string_view AdminRoute::method() const {
    switch (kind) {
        case Kind::Connections:
        case Kind::Destinations:
            return "GET";
        case Kind::Connection:
        case Kind::RoomMember:
            return "DELETE";
        case Kind::Unknown:
            break;
    }
    return "";
}

AdminRoute parse_admin_route(std::string_view path) {
    AdminRoute route;
    if (path == kConnections) {
        route.kind = AdminRoute::Kind::Connections;
    } else if (path == kDestinations) {
        route.kind = AdminRoute::Kind::Destinations;
    } else if (path.starts_with(kConnections) && path.size() > kConnections.size() + 1 &&
               path[kConnections.size()] == '/') {
        const std::string_view id = path.substr(kConnections.size() + 1);
        if (id.find('/') == std::string_view::npos) {
            route.kind = AdminRoute::Kind::Connection;
            route.connection = id;
        }
    } else if (path.starts_with(kRooms)) {
        route = room_member(path.substr(kRooms.size()));
    }
    return route;
}

std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0 || (high == 0 && low == 0)) {
            return std::nullopt;
        }
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

std::optional<AdminSessionId> parse_session_id(std::string_view text) {
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    AdminSessionId id;
    if (!parse_number(text.substr(0, dash), id.shard) ||
        !parse_number(text.substr(dash + 1), id.session)) {
        return std::nullopt;
    }
    return id;
}

}  // namespace stampede::broker
