// JSON string escaping, for the JSON the broker writes itself (presence notices, unread
// counts, JSON log lines). Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace stampede::protocol {

/// `text` as the inside of a JSON string: quotes, backslashes and control characters escaped
/// (no surrounding quotes). Bytes >= 0x80 pass as they are (the text is UTF-8).
std::string json_escape(std::string_view text);

}  // namespace stampede::protocol
