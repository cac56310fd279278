// The parser's errors. Each closes the connection with an ERROR whose `message` header is
// the text of its CloseReason (close_reason.hpp, the whole vocabulary).
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/close_reason.hpp"

namespace stampede::protocol {

enum class ProtocolError : std::uint8_t {
    None,
    FrameTooLarge,
    TooManyHeaders,
    HeaderLineTooLong,
    BadContentLength,
    MissingNul,
    MalformedHeader,  // a header line without ':'
    BadEscape,
    BadCommandLine,  // empty or over-long command line: "malformed frame"
    InvalidUtf8,     // a command or header that is not UTF-8: "malformed frame"
};

/// The reason a connection closes for `error` (not None).
CloseReason close_reason(ProtocolError error);

/// The fixed, short text for the ERROR frame's `message` header: the reason's text ("" for
/// None).
std::string_view error_message(ProtocolError error);

}  // namespace stampede::protocol
