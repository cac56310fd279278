// See presence_notices.hpp.
#include "core/presence_notices.hpp"

#include <fmt/format.h>

#include "protocol/notice_template.hpp"

namespace stampede::broker {

std::string presence_destination(std::string_view room) {
    std::string out(kPresencePrefix);
    out.append(room.starts_with('/') ? room.substr(1) : room);
    return out;
}

std::optional<std::string> presence_room(std::string_view destination) {
    if (!destination.starts_with(kPresencePrefix) || destination.size() == kPresencePrefix.size()) {
        return std::nullopt;
    }
    std::string room = "/";
    room += destination.substr(kPresencePrefix.size());
    return room;
}

std::string presence_notice_body(const rooms::RoomRule& rule, std::string_view room,
                                 std::string_view user, std::uint64_t count, bool enter) {
    std::string quoted_user = "\"";
    quoted_user += protocol::json_escape(user);
    quoted_user += '"';
    const std::string& text = enter ? rule.presence.enter_body : rule.presence.leave_body;
    if (text.empty()) {
        return fmt::format(R"({{"event":"{}","user":{},"count":{}}})", enter ? "enter" : "leave",
                           quoted_user, count);
    }
    // {user} is a whole JSON string; {room} and the captures are string content, for the
    // template's own quotes (the config check refused any other placeholder).
    const std::optional<protocol::Captures> captures = rule.pattern.match(room);
    return protocol::render_template(text,
                                     [&](std::string_view name) -> std::optional<std::string> {
                                         if (name == "user") {
                                             return quoted_user;
                                         }
                                         if (name == "count") {
                                             return std::to_string(count);
                                         }
                                         if (name == "room") {
                                             return protocol::json_escape(room);
                                         }
                                         if (captures) {
                                             for (const auto& [capture, value] : *captures) {
                                                 if (capture == name) {
                                                     return protocol::json_escape(value);
                                                 }
                                             }
                                         }
                                         return std::nullopt;
                                     });
}

std::string presence_snapshot_body(const rooms::RoomRule& rule,
                                   const rooms::PresenceSnapshot& snapshot) {
    std::string out = R"({"users":[)";
    for (std::size_t i = 0; i < snapshot.users.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out += '"' + protocol::json_escape(snapshot.users[i]) + '"';
    }
    out += fmt::format(R"(],"count":{})", snapshot.users.size());
    if (!rule.presence.info_claim.empty()) {
        // Each member's info is the claim's value as JSON text, kept at its first enter.
        out += R"(,"info":{)";
        for (std::size_t i = 0; i < snapshot.info.size(); ++i) {
            if (i > 0) {
                out.push_back(',');
            }
            out += '"' + protocol::json_escape(snapshot.info[i].first) + "\":";
            out += snapshot.info[i].second;
        }
        out.push_back('}');
    }
    out.push_back('}');
    return out;
}

}  // namespace stampede::broker
