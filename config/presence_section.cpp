// Config loader, a room's `presence` key (DESIGN.md "Rooms"): `true`, `false` or a map of
// { enabled, notices, node_ttl_s, info_claim, ephemeral_per_s, notice_body: { enter, leave } }.
// Templates are checked here, so a typo in a placeholder is an error at its line rather than
// a notice that shows `{usr}` to every client. Main thread only.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "config/config.hpp"
#include "config/yaml_reader.hpp"
#include "protocol/notice_template.hpp"

namespace stampede::config::yaml {
namespace {

// More than this many typing indicators a second from one principal is a flood, not typing.
constexpr std::uint64_t kMaxEphemeralPerS = 10000;

// A template may use {user}, {count}, {room} and the room pattern's captures.
void read_template(Section& s, const std::string& key, std::string& out,
                   const std::vector<std::string>& captures) {
    Where where = read_string(s, key, out);
    if (!where) {
        return;
    }
    std::vector<std::string> known = {"user", "count", "room"};
    known.insert(known.end(), captures.begin(), captures.end());
    for (const std::string& name : protocol::template_placeholders(out)) {
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            s.diag().error(*where, fmt::format("{}: unknown placeholder {{{}}} (known: {})",
                                               s.qualify(key), name, fmt::join(known, ", ")));
        }
    }
}

}  // namespace

void read_presence(Section& room, PresenceConfig& p, const std::vector<std::string>& captures) {
    if (!room.holds_map("presence")) {
        read_bool(room, "presence", p.enabled);
        return;
    }
    Section s = room.section("presence");
    p.enabled = true;  // a presence map asks for presence unless it says enabled: false
    read_bool(s, "enabled", p.enabled);
    read_bool(s, "notices", p.notices);
    read_uint(s, "node_ttl_s", p.node_ttl_s, 1, 3600);
    read_string(s, "info_claim", p.info_claim);
    read_uint(s, "ephemeral_per_s", p.ephemeral_per_s, 0, kMaxEphemeralPerS);
    Section body = s.section("notice_body");
    read_template(body, "enter", p.enter_body, captures);
    read_template(body, "leave", p.leave_body, captures);
    body.check_unknown();
    s.check_unknown();
}

}  // namespace stampede::config::yaml
