// Relay envelope fuzz target: whatever arrives from Redis on a <prefix>:t:* channel is decoded
// by protocol::decode_envelope; anything it accepts must encode again and decode to the same
// message. libFuzzer entry point (clang, STAMPEDE_FUZZ) or replayed by replay_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stampede::protocol;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const MessagePtr message = decode_envelope(input);
    if (message == nullptr) {
        return 0;
    }
    const MessagePtr again = decode_envelope(encode_envelope(*message));
    if (again == nullptr || again->destination != message->destination ||
        again->id != message->id || again->origin_node != message->origin_node ||
        again->sender != message->sender || again->headers != message->headers ||
        again->body != message->body || again->encoded_headers != message->encoded_headers) {
        std::abort();
    }
    return 0;
}
