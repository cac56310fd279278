// The relay envelope (DESIGN.md "Redis (cluster)"): a message between nodes travels as a STOMP
// MESSAGE frame carrying x-origin-node, message-id, destination, x-sender when there is one,
// the sender's headers, content-length and the body, so the parser (and its fuzzing) covers
// what comes in from Redis. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "protocol/message.hpp"

namespace stampede::protocol {

std::string encode_envelope(const Message& message);
/// Null when `bytes` is not one whole MESSAGE frame with a destination and an origin node.
MessagePtr decode_envelope(std::string_view bytes);

}  // namespace stampede::protocol
