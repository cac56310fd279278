// SockJS URL routes: what a path under a listener's sockjs prefix asks for. Pure; any thread.
#pragma once

#include <string_view>

namespace stampede::sockjs {

enum class Target {
    NotFound,
    Greeting,      // <prefix> or <prefix>/
    Info,          // <prefix>/info
    RawWebsocket,  // <prefix>/websocket: plain WebSocket, no SockJS framing
    Websocket,     // <prefix>/<server>/<session>/websocket
    Xhr,           // .../xhr (polling receiver)
    XhrSend,       // .../xhr_send
    XhrStreaming,  // .../xhr_streaming
    EventSource,   // .../eventsource (a streaming receiver in text/event-stream)
};

/// Session ids longer than this are refused (404): they are table keys.
inline constexpr std::size_t kMaxSessionIdBytes = 128;

struct Route {
    Target target = Target::NotFound;
    std::string_view session;  // the session id (Websocket, Xhr*), a view into the path
};

/// `path` is the request's path (no query) and `prefix` the listener's sockjs prefix (not
/// empty, no trailing '/'). Server and session ids are non-empty and contain no '.' or '/'.
Route route(std::string_view path, std::string_view prefix);

}  // namespace stampede::sockjs
