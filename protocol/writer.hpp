// The only serialiser of STOMP frames. Appends to a caller-owned buffer (the shard's scratch
// buffer), so a batch of frames becomes one write.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "protocol/frame.hpp"
#include "protocol/message.hpp"

namespace stampede::protocol {

struct OwnedHeader {
    std::string_view name;
    std::string_view value;
};

/// Appends a whole frame: command, headers escaped for `version`, a content-length header when
/// `with_content_length` (always for a non-empty body), blank line, body, NUL.
void append_frame(std::string& out, Command command, std::span<const OwnedHeader> headers,
                  std::string_view body, Version version, bool with_content_length = true);
void append_frame(std::string& out, Command command, std::initializer_list<OwnedHeader> headers,
                  std::string_view body, Version version, bool with_content_length = true);

/// "MESSAGE\nsubscription:<sub>\n", escaped for `version`: the part of every delivery that
/// depends only on the subscription, so a subscription encodes it once.
std::string message_head(std::string_view subscription, Version version);

/// Appends one MESSAGE delivery: `head` (from message_head) + "[ack:<ack>\n]" + the message's
/// encoded header block for `version` + "\n" + body + "\0". `ack` empty = no ack header.
void append_message(std::string& out, std::string_view head, const Message& message,
                    std::string_view ack, Version version);
/// Same, encoding the head from the subscription id (any ack text).
void append_message(std::string& out, const Message& message, std::string_view subscription,
                    std::string_view ack, Version version);

/// Size in bytes that append_message would add (for pending-bytes accounting).
std::size_t message_frame_size(std::string_view head, const Message& message, std::string_view ack,
                               Version version);
std::size_t message_frame_size(const Message& message, std::string_view subscription,
                               std::string_view ack, Version version);

}  // namespace stampede::protocol
