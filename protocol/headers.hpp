// Header escaping per STOMP version. The only code that knows escape sequences.
#pragma once

#include <string>
#include <string_view>

#include "protocol/frame.hpp"

namespace stampede::protocol {

/// Appends `text` escaped for `version` (1.0: as is; 1.1: \n : \\ ; 1.2: also \r).
/// `command` matters because CONNECT/STOMP/CONNECTED headers are never escaped.
void append_escaped(std::string& out, std::string_view text, Version version, Command command);

/// Unescapes in place; returns the new length, or npos for an undefined escape sequence
/// (an error in 1.1 and 1.2). 1.0 and CONNECT/CONNECTED frames return the text unchanged.
std::size_t unescape_in_place(char* text, std::size_t length, Version version, Command command);

/// True when `text` is valid UTF-8 (used to pick text or binary WebSocket frames).
bool is_valid_utf8(std::string_view text);

}  // namespace stampede::protocol
