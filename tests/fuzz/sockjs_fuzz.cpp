// SockJS fuzz target: what a client sends on xhr_send and the websocket transport. Whatever
// the decoder accepts, the server's own encoding of it reads back to the same bytes.
// libFuzzer or replay_main.cpp.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sockjs/framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace stampede::sockjs;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string text;
    if (decode_messages(input, true, text) != DecodeResult::Ok) {
        return 0;
    }
    std::string encoded;
    append_json_string(encoded, text);
    std::string back;
    if (decode_messages(encoded, true, back) != DecodeResult::Ok || back != text) {
        std::abort();
    }
    return 0;
}
