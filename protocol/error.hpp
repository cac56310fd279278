// The protocol layer's error vocabulary. The text of each is the `message` header of the
// ERROR frame the broker sends; docs/protocol.md lists them. Keep both in step.
#pragma once

#include <cstdint>
#include <string_view>

namespace stampede::protocol {

enum class ProtocolError : std::uint8_t {
    None,
    FrameTooLarge,      // "max_frame_bytes exceeded"
    TooManyHeaders,     // "max_headers exceeded"
    HeaderLineTooLong,  // "max_header_line_bytes exceeded"
    BadContentLength,   // "bad content-length"
    MissingNul,         // "body not terminated by NUL"
    MalformedHeader,    // "malformed header"  (a header line without ':')
    BadEscape,          // "invalid header escape"
    BadCommandLine,     // "malformed frame"   (empty or over-long command line)
    InvalidUtf8,        // "malformed frame"   (a command or header that is not UTF-8)
};

/// The fixed, short text for the ERROR frame's `message` header.
std::string_view error_message(ProtocolError error);

}  // namespace stampede::protocol
