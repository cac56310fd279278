// Frame: one parsed STOMP frame. Pure data, no I/O.
// A Frame's views point into the parser's buffer or into the bytes being fed, and are valid only
// inside the sink call.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace stampede::protocol {

enum class Command : std::uint8_t {
    Connect,
    Stomp,
    Send,
    Subscribe,
    Unsubscribe,
    Ack,
    Nack,
    Begin,
    Commit,
    Abort,
    Disconnect,
    Connected,
    Message,
    Receipt,
    Error,
    Unknown,
};

/// STOMP protocol versions, ordered so that comparisons work (V1_0 < V1_2).
enum class Version : std::uint8_t { V1_0, V1_1, V1_2 };

/// Command name as it appears on the wire ("SEND"); "UNKNOWN" for Command::Unknown.
std::string_view command_name(Command command);
/// Parses a command line ("SEND") into a Command; Command::Unknown when it is none of them.
Command parse_command(std::string_view text);
/// "1.0", "1.1", "1.2".
std::string_view version_name(Version version);

struct Header {
    std::string_view name;   // unescaped
    std::string_view value;  // unescaped
};

struct Frame {
    Command command = Command::Unknown;
    std::string_view command_text;  // as received (useful for "unknown command" errors)
    std::vector<Header> headers;    // in wire order, repeated names kept
    std::string_view body;
    bool has_content_length = false;

    /// The first occurrence of a header wins (STOMP 1.2, "Repeated Header Entries").
    std::optional<std::string_view> header(std::string_view name) const;
};

}  // namespace stampede::protocol
