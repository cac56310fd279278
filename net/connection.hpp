// Connection: a live client connection (WebSocket or raw TCP), the lws side of a Session:
// its wsi, its timer (heart-beats, CONNECT deadline), and one batch of its output written.
// Shard thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/session.hpp"
#include "core/transport.hpp"
#include "net/sockjs_websocket.hpp"

struct lws;
struct ev_loop;

namespace stampede::broker {

class Connection;
class Logger;

/// Told when a connection has output to write (WriteBatches writes it at the turn's end).
class WriteScheduler {
   public:
    virtual void mark(Connection& connection) = 0;

   protected:
    ~WriteScheduler() = default;
};

/// The client's IP: the peer, or behind a trusted proxy (`http`: the request carried headers)
/// the right-most X-Forwarded-For entry that is not a trusted proxy.
std::string client_address(lws* wsi, bool http, const std::vector<std::string>& trusted_proxies);

class Connection final : public Transport {
   public:
    struct Where {
        ShardServices& shard;
        WriteScheduler& writes;
        struct ev_loop* loop;
        Logger& log;
    };
    /// `sockjs_heartbeat_ms` > 0: the SockJS websocket transport (SockJS framing around the
    /// STOMP stream, a heart-beat frame that often).
    Connection(const Where& where, lws* wsi, bool websocket, bool anonymous_allowed,
               std::uint64_t id, std::uint64_t sockjs_heartbeat_ms = 0);
    ~Connection() override;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void request_write() override;
    void schedule_timer(std::uint32_t delay_ms) override;
    std::string_view peer() const override { return peer_; }
    std::string_view kind() const override {
        return !websocket_ ? "tcp" : sockjs_ ? "sockjs-websocket" : "websocket";
    }

    Session& session() { return *session_; }
    lws* wsi() const { return wsi_; }
    bool websocket() const { return websocket_; }
    /// A WebSocket message fragment (`last`: the message ends with it). Plain WebSocket: STOMP
    /// bytes as they come. SockJS: JSON, decoded per message; -1 closes (broken JSON).
    int receive_websocket(std::string_view fragment, bool last);

    /// Writes one batch (at most `max_bytes`) of the session's output, built in `scratch`.
    /// `in_writeable`: called from lws's WRITEABLE callback, where it may close (returns -1);
    /// otherwise from the end-of-turn flush, which asks for WRITEABLE to close.
    int write_batch(std::string& scratch, std::size_t max_bytes, bool in_writeable,
                    std::atomic<std::uint64_t>& messages_out);

    bool lingering = false;     // raw TCP: ERROR written, write side shut, waiting for the peer
    bool flush_queued = false;  // in the list of connections to write this turn

   private:
    static void on_timer_event(struct ev_loop* loop, void* watcher, int events);

    ShardServices& shard_;
    WriteScheduler& writes_;
    struct ev_loop* loop_;
    Logger& log_;
    lws* wsi_;
    bool websocket_;
    std::string peer_;
    std::unique_ptr<struct ConnectionTimer> timer_;
    std::unique_ptr<SockjsWebsocket> sockjs_;  // the SockJS websocket transport, else null
    std::unique_ptr<Session> session_;
};

/// A shard's live connections, by session id.
using ConnectionMap = std::unordered_map<std::uint64_t, std::unique_ptr<Connection>>;

}  // namespace stampede::broker
