// The fixed texts of the protocol error vocabulary. They are a contract with clients and tests
// (docs/protocol.md), so they never carry variable detail; the ERROR body does that.
#include "protocol/error.hpp"

namespace stampede::protocol {

std::string_view error_message(ProtocolError error) {
    switch (error) {
        case ProtocolError::None:
            return "";
        case ProtocolError::FrameTooLarge:
            return "max_frame_bytes exceeded";
        case ProtocolError::TooManyHeaders:
            return "max_headers exceeded";
        case ProtocolError::HeaderLineTooLong:
            return "max_header_line_bytes exceeded";
        case ProtocolError::BadContentLength:
            return "bad content-length";
        case ProtocolError::MissingNul:
            return "body not terminated by NUL";
        case ProtocolError::MalformedHeader:
            return "malformed header";
        case ProtocolError::BadEscape:
            return "invalid header escape";
        case ProtocolError::BadCommandLine:
        case ProtocolError::InvalidUtf8:
            return "malformed frame";
    }
    // Only reachable with a value cast from outside the enum; better an honest text than "".
    return "malformed frame";
}

}  // namespace stampede::protocol
