// Header escaping per STOMP version. The only code that knows escape sequences.
#pragma once

#include <string>
#include <string_view>

#include "protocol/frame.hpp"

namespace stampede::protocol {

/// Appends `text` escaped for `version` (1.0: as is; 1.1: \n : \\ ; 1.2: also \r).
/// `command` matters because CONNECT/STOMP/CONNECTED headers are never escaped.
void append_escaped(std::string& out, std::string_view text, Version version, Command command);

/// Appends one header line "name:value\n", both escaped for `version` and `command`. Bytes
/// that no escape can carry in that context are written as a space instead, so no value can end
/// the line or the frame early and inject headers: NUL always; CR and LF where escaping is off
/// (1.0, CONNECT/STOMP/CONNECTED); and ':' in a name there. Writer and Message use this.
void append_header_line(std::string& out, std::string_view name, std::string_view value,
                        Version version, Command command);

/// Unescapes in place; returns the new length, or npos for an undefined escape sequence
/// (an error in 1.1 and 1.2). 1.0 and CONNECT/CONNECTED frames return the text unchanged.
std::size_t unescape_in_place(char* text, std::size_t length, Version version, Command command);

/// True when `text` is valid UTF-8 (used to pick text or binary WebSocket frames).
bool is_valid_utf8(std::string_view text);

}  // namespace stampede::protocol
