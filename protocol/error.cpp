// The parser's errors as close reasons; the texts are close_reason.cpp's.
#include "protocol/error.hpp"

namespace stampede::protocol {

CloseReason close_reason(ProtocolError error) {
    switch (error) {
        case ProtocolError::FrameTooLarge:
            return CloseReason::FrameTooLarge;
        case ProtocolError::TooManyHeaders:
            return CloseReason::TooManyHeaders;
        case ProtocolError::HeaderLineTooLong:
            return CloseReason::HeaderLineTooLong;
        case ProtocolError::BadContentLength:
            return CloseReason::BadContentLength;
        case ProtocolError::MissingNul:
            return CloseReason::MissingNul;
        case ProtocolError::MalformedHeader:
            return CloseReason::MalformedHeader;
        case ProtocolError::BadEscape:
            return CloseReason::BadEscape;
        case ProtocolError::None:  // not an error: callers check first
        case ProtocolError::BadCommandLine:
        case ProtocolError::InvalidUtf8:
            return CloseReason::MalformedFrame;
    }
    // Only reachable with a value cast from outside the enum.
    return CloseReason::MalformedFrame;
}

std::string_view error_message(ProtocolError error) {
    return error == ProtocolError::None ? std::string_view{}
                                        : close_reason_text(close_reason(error));
}

}  // namespace stampede::protocol
