// Notice templates: the bodies a presence room's enter and leave notices are made from
// (`destinations.rooms[].presence.notice_body`, DESIGN.md "Rooms"). A placeholder is
// `{name}` with name [A-Za-z_][A-Za-z0-9_]*; any other brace is literal text, so a JSON
// template such as `{"type":"ENTER","sender":{user}}` needs no escaping. Pure; the config
// check finds unknown placeholders, the rooms render the text.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json_escape.hpp"

namespace stampede::protocol {

/// The placeholder names in `text`, in order (repeats included).
std::vector<std::string> template_placeholders(std::string_view text);

/// `text` with each placeholder replaced by what `value` gives for its name; a name it gives
/// nullopt for stays as written.
std::string render_template(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view name)>& value);

}  // namespace stampede::protocol
