// AdminRoute: which admin API call a request path names (DESIGN.md "HTTP": the admin API
// under http.admin), read from the path after the admin prefix. Room and principal segments
// are percent-decoded here ("%2Ftopic%2Froom.42"). Pure values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stampede::broker {

struct AdminRoute {
    enum class Kind {
        Connections,   // GET    /connections
        Connection,    // DELETE /connections/<shard>-<session>
        Destinations,  // GET    /destinations
        RoomMember,    // DELETE /rooms/<room>/members/<principal>
        Unknown,       // 404
    };
    Kind kind = Kind::Unknown;
    std::string connection;  // Connection: as given
    std::string room;        // RoomMember: the room's destination, with its leading '/'
    std::string principal;   // RoomMember
    /// The one method the route takes ("GET" or "DELETE"); others get 405.
    std::string_view method() const;
};

/// The route `path` names: `path` is what follows the admin prefix ("/connections").
AdminRoute parse_admin_route(std::string_view path);

/// %XX escapes decoded (a '+' stays a '+': this is a path, not a form); nullopt for a
/// broken escape or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text);

/// A session's id as the admin API shows it, "<shard>-<session>" (CONNECTED's session header).
struct AdminSessionId {
    unsigned shard = 0;
    std::uint64_t session = 0;
};
std::optional<AdminSessionId> parse_session_id(std::string_view text);

}  // namespace stampede::broker
