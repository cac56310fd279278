// Transport: what a Session needs from its connection, so Session never sees lws.
// Implemented by the shard's Connection (lws) and by FakeTransport in unit tests.
// Shard thread only.
#pragma once

#include <cstdint>
#include <string_view>

namespace stampede::broker {

class Transport {
   public:
    virtual ~Transport() = default;
    /// Ask for a WRITEABLE callback; the session's outbound queue has something to send.
    virtual void request_write() = 0;
    /// Call Session::on_timer after `delay_ms` (replaces any earlier request).
    virtual void schedule_timer(std::uint32_t delay_ms) = 0;
    /// The client's address, for logs.
    virtual std::string_view peer() const = 0;
    /// How the client is connected, for the admin API: "tcp", "websocket", "sockjs" (a SockJS
    /// session over HTTP requests) or "sockjs-websocket".
    virtual std::string_view kind() const = 0;
};

}  // namespace stampede::broker
