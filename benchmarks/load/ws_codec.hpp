// Minimal RFC 6455 client framing for the load generator: the HTTP upgrade, masked client
// frames and an incremental decoder of server frames. Also the server side of framing, used
// only by the self-test sender. No I/O here: bytes in, bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stampede::bench {

enum class WsOpcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

/// A fresh Sec-WebSocket-Key: base64 of 16 random bytes.
std::string make_websocket_key();
/// base64(SHA-1(key + RFC 6455 GUID)): what the server must answer in Sec-WebSocket-Accept.
std::string websocket_accept_for(std::string_view key);

/// The GET request that asks for the upgrade.
std::string make_upgrade_request(std::string_view host, std::uint16_t port, std::string_view path,
                                 std::string_view key, std::string_view subprotocol);

/// Checks a complete HTTP response head (through "\r\n\r\n"): status 101 and the right
/// Sec-WebSocket-Accept. Returns an empty string when good, else what is wrong.
std::string check_upgrade_response(std::string_view head, std::string_view key);

/// Appends one masked client frame carrying `payload`.
void append_client_frame(std::string& out, WsOpcode opcode, std::string_view payload,
                         std::uint32_t mask_key, bool fin = true);

/// Starts a masked client frame whose payload (of `payload_size` bytes) the caller appends
/// next; finish_client_frame() then masks it in place. Saves a copy on the publish path.
std::size_t begin_client_frame(std::string& out, WsOpcode opcode, std::size_t payload_size,
                               std::uint32_t mask_key);
void finish_client_frame(std::string& out, std::size_t payload_start, std::uint32_t mask_key);

/// Appends one unmasked server frame (self-test sender only).
void append_server_frame(std::string& out, WsOpcode opcode, std::string_view payload);
/// Size of the header append_server_frame() writes for a payload of `size` bytes.
std::size_t server_frame_header_size(std::size_t size);

/// What the decoder hands out.
class WsSink {
   public:
    virtual ~WsSink() = default;
    /// A piece of a data message's payload (text, binary or continuation), in order.
    virtual void on_ws_data(std::string_view piece) = 0;
    /// A complete control frame (ping, pong, close).
    virtual void on_ws_control(WsOpcode opcode, std::string_view payload) = 0;
};

/// Incremental decoder of the server -> client direction: any split of the byte stream, 16-
/// and 64-bit lengths, fragmentation, control frames between fragments.
class WsDecoder {
   public:
    /// Feeds bytes; returns false on a protocol error (error() says which).
    bool feed(std::string_view bytes, WsSink& sink);
    const std::string& error() const { return error_; }

   private:
    bool parse_header(WsSink& sink);

    std::uint8_t header_[14] = {};
    std::size_t header_size_ = 0;
    std::uint64_t payload_left_ = 0;
    bool in_payload_ = false;
    bool control_ = false;
    WsOpcode opcode_ = WsOpcode::Continuation;
    bool in_message_ = false;  // a fragmented data message is under way
    std::string control_payload_;
    std::string error_;
};

}  // namespace stampede::bench
