// SockjsWebsocket: the SockJS websocket transport (<prefix>/<server>/<session>/websocket) on
// top of a WebSocket Connection: 'o' first, 'h' while idle, the STOMP output as a["..."]
// messages and c[3000,"Go away!"] before closing; input is JSON (decoded here) carrying the
// STOMP byte stream. The session lives and dies with its one WebSocket, as on the plain path,
// so no shard routing is needed. Shard thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct lws;
struct ev_loop;

namespace stampede::broker {

class Transport;

class SockjsWebsocket {
   public:
    /// `wake` (the connection's Transport) is asked to write when a heart-beat is due.
    SockjsWebsocket(struct ev_loop* loop, std::uint64_t heartbeat_ms, Transport& wake);
    ~SockjsWebsocket();
    SockjsWebsocket(const SockjsWebsocket&) = delete;
    SockjsWebsocket& operator=(const SockjsWebsocket&) = delete;

    enum class Input { Incomplete, Ready, Broken, TooLarge };
    /// One fragment of a WebSocket message; at the message's end (`last`) its JSON is decoded
    /// and the STOMP bytes appended to `stomp`. A message over `max_message_bytes` is refused
    /// as soon as it gets there. An empty message is ignored (the protocol says so).
    Input receive(std::string_view fragment, bool last, std::size_t max_message_bytes,
                  std::string& stomp);

    /// Writes, as separate WebSocket text messages: the frames due ('o' at first, 'h'), then
    /// `stomp` (one batch of STOMP output, may be empty) as a["..."], then with `closing` the
    /// close frame. False when lws refused a write.
    bool write(lws* wsi, std::string_view stomp, bool closing);

   private:
    static void on_heartbeat(struct ev_loop* loop, void* watcher, int events);
    bool write_text(lws* wsi, std::string_view text);

    struct ev_loop* loop_;
    Transport& wake_;
    std::unique_ptr<struct SockjsHeartbeat> heartbeat_;
    bool opened_ = false;
    bool heartbeat_due_ = false;
    bool close_sent_ = false;
    bool refused_ = false;  // a message was too large: the rest of the input is ignored
    std::string message_;   // the WebSocket message being received
    std::string framed_;    // LWS_PRE + one frame being written
};

}  // namespace stampede::broker
